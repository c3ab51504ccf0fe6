// The guide: how runlayout works, one topic per page, and nothing else (no
// items). Each page is a Markdown file beside this one, so that it reads on
// the repository's web pages too; its examples are doctests, compiled
// against `runlayout` as a program that depends on it names it.
//
// `README.md`, the guide's index, links to the pages by label, with file
// paths for the repository's web pages. `labels.md` defines the same labels
// as links to the pages here. It comes first, and in Markdown the first
// definition of a label wins. The tests at the end of this file check that
// every label has both definitions and that every path leads to a file.
#![doc = include_str!("labels.md")]
#![cfg_attr(feature = "clap", doc = "[run_args]: crate::guide::run_args")]
#![doc = ""]
#![doc = include_str!("README.md")]

pub mod format {
    #![doc = include_str!("../../docs/format.md")]
}

pub mod layouts {
    #![doc = include_str!("layouts.md")]
}

pub mod families {
    #![doc = include_str!("families.md")]
}

pub mod by_hand {
    #![doc = include_str!("by_hand.md")]
}

pub mod tracing {
    #![doc = include_str!("tracing.md")]
}

pub mod runs {
    #![doc = include_str!("runs.md")]
}

pub mod ids {
    #![doc = include_str!("ids.md")]
}

pub mod links {
    #![doc = include_str!("links.md")]
}

pub mod run_record {
    #![doc = include_str!("run_record.md")]
}

pub mod status {
    #![doc = include_str!("status.md")]
}

pub mod results {
    #![doc = include_str!("results.md")]
}

pub mod provenance {
    #![doc = include_str!("provenance.md")]
}

pub mod listing {
    #![doc = include_str!("listing.md")]
}

pub mod pruning {
    #![doc = include_str!("pruning.md")]
}

pub mod sweeps {
    #![doc = include_str!("sweeps.md")]
}

pub mod buckets {
    #![doc = include_str!("buckets.md")]
}

pub mod launchers {
    #![doc = include_str!("launchers.md")]
}

#[cfg(feature = "clap")]
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
pub mod run_args {
    #![doc = include_str!("run_args.md")]
}

pub mod path_provider {
    #![doc = include_str!("path_provider.md")]
}

pub mod errors {
    #![doc = include_str!("errors.md")]
}

/// The front page's and the guide index's links: each label defined twice,
/// for the repository's web pages in the file itself and for rustdoc in
/// `labels.md` (or, for a page behind a feature, in `lib.rs` and here), and
/// every page of the guide linked and included.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::{Path, PathBuf};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn crate_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// Whether this is the repository: the published package holds the
    /// crate's own files, not the other folders its front page links to.
    fn in_repository() -> bool {
        crate_dir().join("cli/Cargo.toml").is_file()
    }

    fn read(path: &Path) -> Result<String, String> {
        fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }

    /// The link reference definitions, `[label]: target` on a line of
    /// their own, of a Markdown text or of `doc = "..."` strings in Rust.
    fn definitions(text: &str) -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|line| {
                let line = line.trim();
                let line = line
                    .strip_prefix("#![cfg_attr(feature = \"clap\", doc = \"")
                    .and_then(|l| l.strip_suffix("\")]"))
                    .unwrap_or(line);
                let (label, target) = line.strip_prefix('[')?.split_once("]: ")?;
                Some((label.to_owned(), target.to_owned()))
            })
            .collect()
    }

    /// The labels that `[text][label]` references use.
    fn references(text: &str) -> Vec<String> {
        text.split("][")
            .skip(1)
            .filter_map(|rest| rest.split_once(']').map(|(label, _)| label.to_owned()))
            .collect()
    }

    /// The labels rustdoc gets first, for the pages that include `front`.
    fn rustdoc_labels(front: &str) -> Result<BTreeMap<String, String>, String> {
        let mut labels = definitions(&read(&crate_dir().join("src/guide/labels.md"))?);
        labels.extend(definitions(&read(&crate_dir().join(front))?));
        Ok(labels)
    }

    /// Checks one Markdown page: every reference defined in the page itself,
    /// to a file that exists, and defined again for rustdoc.
    fn check_page(page: &str, rust_file: &str) -> Result<(), String> {
        let path = crate_dir().join(page);
        let text = read(&path)?;
        let own = definitions(&text);
        let rustdoc = rustdoc_labels(rust_file)?;
        for label in references(&text) {
            if !own.contains_key(&label) {
                return Err(format!("`{page}` uses [{label}] without defining it"));
            }
        }
        let folder = path.parent().unwrap_or(Path::new("."));
        for (label, target) in &own {
            let file: PathBuf = folder.join(target.split('#').next().unwrap_or(target));
            if !target.starts_with("https://") && in_repository() && !file.exists() {
                return Err(format!(
                    "`{page}`: [{label}] leads to `{}`, which does not exist",
                    file.display()
                ));
            }
            if !rustdoc.contains_key(label) {
                return Err(format!(
                    "`{page}`: [{label}] has no definition for rustdoc (src/guide/labels.md)"
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn the_front_page_links_resolve_in_both_places() -> TestResult {
        check_page("README.md", "src/lib.rs")?;
        Ok(())
    }

    #[test]
    fn the_guide_index_links_resolve_in_both_places() -> TestResult {
        check_page("src/guide/README.md", "src/guide/mod.rs")?;
        Ok(())
    }

    #[test]
    fn every_page_is_linked_from_the_index_and_included() -> TestResult {
        let guide = crate_dir().join("src/guide");
        let index = definitions(&read(&guide.join("README.md"))?);
        let module = read(&guide.join("mod.rs"))?;
        for entry in fs::read_dir(&guide)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".md") || name == "README.md" || name == "labels.md" {
                continue;
            }
            assert!(
                index.values().any(|target| *target == name),
                "src/guide/README.md does not link to {name}"
            );
            assert!(
                module.contains(&format!("include_str!(\"{name}\")")),
                "src/guide/mod.rs does not include {name}"
            );
        }
        Ok(())
    }

    #[test]
    fn definitions_and_references_are_read() {
        let text = "See [the guide][guide] and [x][y].\n\n[guide]: src/guide/README.md\n";
        assert_eq!(references(text), ["guide", "y"]);
        assert_eq!(definitions(text)["guide"], "src/guide/README.md");
        let rust = "#![cfg_attr(feature = \"clap\", doc = \"[run_args]: crate::guide::run_args\")]";
        assert_eq!(definitions(rust)["run_args"], "crate::guide::run_args");
    }
}
