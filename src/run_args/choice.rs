//! Which run the flags and variables ask for, in the order of precedence
//! the table in `RunArgs`' documentation gives (`run_args.rs`).

use std::ffi::OsString;

use crate::env::{ENV_RESUME, ENV_RUN_ID, ENV_SEED, Vars};
use crate::{Launcher, Result, RunSpec};

/// What the process asked for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Choice {
    /// Open an existing run (`--run-resume`, `RUNLAYOUT_RESUME`).
    Resume(String),
    /// A new run under an id the user chose (`--run-id`, `--run-seed`,
    /// `RUNLAYOUT_SEED`); under a launcher, one run for its ranks (a seed's
    /// id then holds the launcher's id in place of the date).
    New(Named),
    /// The id a launcher script (`RUNLAYOUT_RUN_ID`) or a launcher gave:
    /// created by the first rank, joined by the others, found again by a
    /// requeued job.
    Join(String),
    /// A new run with a freshly drawn id.
    Generated,
}

/// What was typed: `--run-resume`, `--run-id`, `--run-seed` (clap lets
/// only one be).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Typed<'a> {
    pub(super) resume: Option<&'a str>,
    pub(super) id: Option<&'a str>,
    pub(super) seed: Option<u64>,
}

/// An id the user chose.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Named {
    Id(String),
    Seed(u64),
}

/// The first that applies: a typed `--run-resume`, `--run-id` or `--run-seed`
/// (clap lets only one be typed); then `RUNLAYOUT_RESUME`, then
/// `RUNLAYOUT_RUN_ID`, then `RUNLAYOUT_SEED`, then a launcher's id; else a
/// generated id. A typed flag beats every variable, and no variable ever
/// conflicts with one. A seed under a launcher is made with the launcher's
/// id in place of the date, so all ranks agree on it.
pub(super) fn choose(
    typed: Typed<'_>,
    vars: &Vars<impl Fn(&str) -> Option<OsString>>,
) -> Result<Choice> {
    if let Some(resume) = typed.resume {
        return Ok(Choice::Resume(resume.to_owned()));
    }
    if let Some(id) = typed.id {
        return Ok(Choice::New(Named::Id(id.to_owned())));
    }
    if let Some(seed) = typed.seed {
        return Ok(Choice::New(Named::Seed(seed)));
    }
    let resume = vars.parsed(
        ENV_RESUME,
        |text| text.parse::<RunSpec>().ok().map(|_| text.to_owned()),
        RunSpec::SPELLINGS,
    )?;
    if let Some(resume) = resume {
        return Ok(Choice::Resume(resume));
    }
    if let Some(id) = vars.text(ENV_RUN_ID)? {
        return Ok(Choice::Join(id));
    }
    let seed = vars.parsed(
        ENV_SEED,
        |text| text.trim().parse().ok(),
        "a whole number from 0 to 18446744073709551615",
    )?;
    if let Some(seed) = seed {
        return Ok(Choice::New(Named::Seed(seed)));
    }
    if let Some(launcher) = Launcher::detect_with(|var| vars.value(var)) {
        return Ok(Choice::Join(launcher.run_id().into_string()));
    }
    Ok(Choice::Generated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunArgs;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn chosen(args: &[&str], env: &[(&str, &str)]) -> Result<Choice> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .expect("valid flags");
        let typed = Typed {
            resume: cli.run.run_resume.as_deref(),
            id: cli.run.run_id.as_deref(),
            seed: cli.run.run_seed,
        };
        choose(
            typed,
            &Vars::new(|var: &str| {
                env.iter()
                    .find(|(name, _)| *name == var)
                    .map(|(_, value)| OsString::from(value))
            }),
        )
    }

    #[test]
    fn the_order_of_precedence() -> Result<()> {
        let all = [
            (ENV_RESUME, "env-resume"),
            (ENV_RUN_ID, "env-id"),
            (ENV_SEED, "9"),
            ("SLURM_JOB_ID", "5"),
        ];
        let resume = |s: &str| Choice::Resume(s.to_owned());
        assert_eq!(chosen(&["--run-resume", "r"], &all)?, resume("r"));
        assert_eq!(
            chosen(&["--run-id", "i"], &all)?,
            Choice::New(Named::Id("i".into()))
        );
        assert_eq!(
            chosen(&["--run-seed", "3"], &all)?,
            Choice::New(Named::Seed(3))
        );
        assert_eq!(chosen(&[], &all)?, resume("env-resume"));
        assert_eq!(chosen(&[], &all[1..])?, Choice::Join("env-id".into()));
        assert_eq!(chosen(&[], &all[2..])?, Choice::New(Named::Seed(9)));
        assert_eq!(chosen(&[], &all[3..])?, Choice::Join("slurm-5".into()));
        assert_eq!(chosen(&[], &[])?, Choice::Generated);
        // Empty variables are unset.
        let empty = [(ENV_RESUME, ""), (ENV_RUN_ID, ""), (ENV_SEED, "")];
        assert_eq!(chosen(&[], &empty)?, Choice::Generated);
        Ok(())
    }
}
