//! `RunBuilder::from_env`: a run's settings from the `RUNLAYOUT_*`
//! variables, and the run id a launcher implies.

use std::ffi::OsString;

use crate::error::Result;
use crate::launch::env::{ENV_DEBUG, ENV_ROOT, ENV_RUN_ID, ENV_STAGE, Vars};
use crate::launch::launcher::Launcher;
use crate::lifecycle::builder::RunBuilder;

impl RunBuilder {
    /// Takes settings from the environment, over the builder's own:
    ///
    /// | variable | sets |
    /// | --- | --- |
    /// | `RUNLAYOUT_ROOT` | the output root |
    /// | `RUNLAYOUT_RUN_ID` | the run id |
    /// | `RUNLAYOUT_STAGE` | the stage |
    /// | `RUNLAYOUT_DEBUG` | the debug flag, in any spelling [`parse_flag`](crate::parse_flag) reads (`1`, `t`, `yes`, `off`, ...) |
    ///
    /// Empty variables count as unset. When no run id is given (neither by
    /// `RUNLAYOUT_RUN_ID` nor by the builder) and a [`Launcher`] started this
    /// process, the launcher's job id gives the run id, so every rank of the
    /// job reaches the same folder; finish with
    /// [`start`](RunBuilder::start) or [`create_or_open`](RunBuilder::create_or_open).
    /// A [`seed`](RunBuilder::seed) is kept and made under that launcher
    /// ([`Launcher::seeded_id`]: the launcher's id in place of the local
    /// date), so every rank gets the same seeded id; the launcher the
    /// variables name is the one used, not the process's. Outside a
    /// launcher nothing else changes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`](crate::Error::InvalidEnv) naming a variable whose value cannot be used.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// // Under `RUNLAYOUT_STAGE=finetune` this run would be a finetune run.
    /// let run = Run::builder(root.path()).stage("pretrain").from_env()?.start()?;
    /// assert!(run.path().starts_with(root.path()) || std::env::var_os("RUNLAYOUT_ROOT").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_env(self) -> Result<RunBuilder> {
        self.from_env_with(|var| std::env::var_os(var))
    }

    /// [`from_env`](RunBuilder::from_env), reading variables through `get`:
    /// for tests, or for settings kept somewhere else.
    ///
    /// # Errors
    ///
    /// As [`from_env`](RunBuilder::from_env).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let env = |k: &str| match k {
    ///     "RUNLAYOUT_STAGE" => Some(OsString::from("eval")),
    ///     "SLURM_JOB_ID" => Some(OsString::from("991")),
    ///     _ => None,
    /// };
    /// let run = Run::builder(root.path()).from_env_with(env)?.start()?;
    /// assert_eq!(run.path(), root.path().join("eval/slurm-991"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_env_with(mut self, get: impl Fn(&str) -> Option<OsString>) -> Result<RunBuilder> {
        let vars = Vars::new(get);
        if let Some(root) = vars.text(ENV_ROOT)? {
            self = self.output_root(root);
        }
        if let Some(stage) = vars.text(ENV_STAGE)? {
            self = self.stage(stage);
        }
        if let Some(debug) = vars.flag(ENV_DEBUG)? {
            self = self.debug(debug);
        }
        if let Some(id) = vars.text(ENV_RUN_ID)? {
            self = self.run_id(id);
        }
        Ok(self.launcher_id_in(&vars))
    }

    /// When the builder has no run id of its own and a [`Launcher`] started
    /// this process, takes the run id from the launcher's job id, so every
    /// rank of the job reaches the same folder. A seed is kept and made
    /// under that launcher ([`Launcher::seeded_id`]), as it would be when
    /// the builder is finished. Otherwise changes nothing.
    /// ([`from_env`](RunBuilder::from_env) does this too.)
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").run_id("mine").launcher_id();
    /// assert_eq!(b.planned_path()?, Some("runs/mine".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn launcher_id(self) -> RunBuilder {
        self.launcher_id_in(&Vars::process())
    }

    fn launcher_id_in(self, vars: &Vars<impl Fn(&str) -> Option<OsString>>) -> RunBuilder {
        if self.has_explicit_id() {
            return self;
        }
        let launcher = Launcher::detect_in(vars);
        if self.has_seed() {
            return self.under_launcher(launcher);
        }
        match launcher {
            Some(launcher) => self.run_id(launcher.run_id()),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::launch::env::parse_flag;
    use crate::launch::test_env::env;
    use crate::run::Run;

    #[test]
    fn variables_override_the_builder() -> Result<()> {
        let b = Run::builder("code-root")
            .stage("code-stage")
            .run_id("code-id")
            .from_env_with(env(&[
                (ENV_ROOT, "env-root"),
                (ENV_STAGE, "env-stage"),
                (ENV_DEBUG, "Yes"),
                (ENV_RUN_ID, "env-id"),
            ]))?;
        let p = b.planned_path()?.expect("fixed id");
        assert_eq!(p, std::path::Path::new("env-root/debug/env-stage/env-id"));
        Ok(())
    }

    #[test]
    fn empty_variables_are_unset() -> Result<()> {
        let b = Run::builder("root")
            .run_id("id")
            .from_env_with(env(&[(ENV_ROOT, ""), (ENV_DEBUG, "")]))?;
        assert_eq!(b.planned_path()?, Some("root/id".into()));
        Ok(())
    }

    #[test]
    fn a_launcher_gives_the_id_only_when_none_is_set() -> Result<()> {
        let slurm = env(&[("SLURM_JOB_ID", "5")]);
        let b = Run::builder("r").from_env_with(&slurm)?;
        assert_eq!(b.planned_path()?, Some("r/slurm-5".into()));
        let b = Run::builder("r").run_id("mine").from_env_with(&slurm)?;
        assert_eq!(b.planned_path()?, Some("r/mine".into()));
        // A seed is made under the launcher the variables name.
        let b = Run::builder("r").seed(1).from_env_with(&slurm)?;
        let seeded = format!("r/slurm-5_{}", crate::RunId::seed_suffix(1));
        assert_eq!(b.planned_path()?, Some(seeded.into()));
        let b = Run::builder("r").seed(1).from_env_with(env(&[]))?;
        assert_eq!(
            b.planned_path()?,
            Some(format!("r/{}", crate::RunId::from_seed(1)).into())
        );
        let b = Run::builder("r").from_env_with(env(&[]))?;
        assert_eq!(
            b.planned_path()?,
            None,
            "outside a launcher the id is generated"
        );
        Ok(())
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Run::builder("r")
            .from_env_with(env(&[(ENV_DEBUG, "maybe")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "RUNLAYOUT_DEBUG=\"maybe\" cannot be used: expected 1, true, t, yes, y, on, 0, false, f, no, n or off"
        );
    }

    #[test]
    fn the_debug_variable_takes_every_spelling_clap_took() -> Result<()> {
        // clap's BoolishValueParser: y, yes, t, true, on, 1 / n, no, f, false, off, 0.
        let yes = ["y", "yes", "t", "true", "on", "1", "T", "Yes", " ON "];
        let no = ["n", "no", "f", "false", "off", "0", "F", "NO"];
        for (spellings, want) in [(&yes[..], true), (&no[..], false)] {
            for spelling in spellings {
                assert_eq!(parse_flag(spelling), Some(want), "{spelling:?}");
                let get = |k: &str| (k == ENV_DEBUG).then(|| OsString::from(spelling));
                let b = Run::builder("r").run_id("x").from_env_with(get)?;
                assert_eq!(b.planned_path()?.unwrap().starts_with("r/debug"), want);
            }
        }
        for other in ["maybe", "2", "yess", "tru"] {
            assert_eq!(parse_flag(other), None, "{other:?}");
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn values_that_are_not_utf8_name_the_variable() {
        use std::os::unix::ffi::OsStringExt;
        let get = |k: &str| (k == ENV_STAGE).then(|| OsString::from_vec(vec![b'a', 0xff]));
        let err = Run::builder("r").from_env_with(get).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidEnv {
                    var: ENV_STAGE,
                    expected: "UTF-8 text",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
