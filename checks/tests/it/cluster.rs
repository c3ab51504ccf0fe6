//! The ranks of one launched job meet in one run folder; two jobs never do,
//! and a requeued job finds its own folder again. Each rank is a real
//! process started with the variables a launcher sets.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::support::{
    self, TestResult, child_lines, clean_env, is_child, run_children, spawn_child,
};
use runlayout::{
    Ranks, Run, RunId,
    env::{ENV_DEBUG, ENV_ROOT, ENV_RUN_ID, ENV_STAGE},
};

/// What one rank reported: its folder and whether it created it.
type Report = (PathBuf, bool);

/// The body of a rank: settle on the run from its environment and say where.
fn rank_body() -> TestResult {
    let run = Run::builder("unused-default-root")
        .stage("pretrain")
        .from_env()?
        .start()?;
    println!("RUN={}|{}", run.path().display(), run.is_new());
    Ok(())
}

fn parse(line: &str) -> Report {
    let (path, new) = line.split_once('|').expect("path|new");
    (PathBuf::from(path), new == "true")
}

/// Starts `ranks` processes of one job: this test's binary running `test`
/// as `role`, with no launcher but the variables of `launcher_env`.
fn launch(
    test: &str,
    role: &str,
    root: &Path,
    ranks: usize,
    launcher_env: &[(&str, &str)],
) -> Vec<Report> {
    let root = root.to_str().expect("utf-8 temp dir");
    let mut env = clean_env(&[(ENV_ROOT, root)]);
    env.extend_from_slice(launcher_env);
    run_children(test, role, ranks, &env, "RUN=")
        .iter()
        .map(|line| parse(line))
        .collect()
}

/// The one folder every rank reported, made by exactly one of them.
fn one_folder(results: &[Report], ranks: usize) -> PathBuf {
    assert_eq!(results.len(), ranks, "every rank reported");
    let folders: HashSet<&PathBuf> = results.iter().map(|(p, _)| p).collect();
    assert_eq!(folders.len(), 1, "ranks split over {folders:?}");
    let creators = results.iter().filter(|(_, new)| *new).count();
    assert_eq!(creators, 1, "exactly one rank creates the folder");
    let folder = results[0].0.clone();
    assert!(folder.is_dir());
    folder
}

#[test]
fn ranks_of_one_job_share_a_folder_and_jobs_do_not() -> TestResult {
    const TEST: &str = "cluster::ranks_of_one_job_share_a_folder_and_jobs_do_not";
    if is_child(TEST) {
        return rank_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let job =
        |ranks, env: &[(&str, &str)]| one_folder(&launch(TEST, TEST, root, ranks, env), ranks);

    let job_a = job(8, &[("SLURM_JOB_ID", "1001")]);
    assert_eq!(job_a, root.join("pretrain/slurm-1001"));
    let job_b = job(8, &[("SLURM_JOB_ID", "1002")]);
    assert_ne!(job_a, job_b);

    let array_task = job(
        4,
        &[
            ("SLURM_JOB_ID", "2001"),
            ("SLURM_ARRAY_JOB_ID", "2000"),
            ("SLURM_ARRAY_TASK_ID", "1"),
        ],
    );
    assert_eq!(array_task, root.join("pretrain/slurm-2000_1"));
    let other_task = job(
        4,
        &[
            ("SLURM_JOB_ID", "2002"),
            ("SLURM_ARRAY_JOB_ID", "2000"),
            ("SLURM_ARRAY_TASK_ID", "2"),
        ],
    );
    assert_ne!(array_task, other_task);

    let torch = job(4, &[("TORCHELASTIC_RUN_ID", "a1b2c3")]);
    assert_eq!(torch, root.join("pretrain/torchrun-a1b2c3"));

    // Settings from RUNLAYOUT_* win over the code's and the launcher's.
    let explicit = job(
        3,
        &[
            (ENV_RUN_ID, "chosen"),
            (ENV_STAGE, "eval"),
            (ENV_DEBUG, "1"),
            ("SLURM_JOB_ID", "9"),
        ],
    );
    assert_eq!(explicit, root.join("debug/eval/chosen"));
    Ok(())
}

#[test]
fn ranks_of_one_srun_step_share_a_folder_and_two_steps_do_not() -> TestResult {
    const TEST: &str = "cluster::ranks_of_one_srun_step_share_a_folder_and_two_steps_do_not";
    if is_child(TEST) {
        return rank_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let job =
        |ranks, env: &[(&str, &str)]| one_folder(&launch(TEST, TEST, root, ranks, env), ranks);

    let step0 = job(4, &[("SLURM_JOB_ID", "5001"), ("SLURM_STEP_ID", "0")]);
    assert_eq!(step0, root.join("pretrain/slurm-5001.0"));
    // A second `srun` of the same allocation, a sweep point with another
    // learning rate: its own run.
    let step1 = job(4, &[("SLURM_JOB_ID", "5001"), ("SLURM_STEP_ID", "1")]);
    assert_eq!(step1, root.join("pretrain/slurm-5001.1"));
    // The batch script itself runs in no step: its own run too.
    let batch = job(1, &[("SLURM_JOB_ID", "5001")]);
    assert_eq!(batch, root.join("pretrain/slurm-5001"));
    // Steps of one array task, and the same step of another task.
    let task_step = job(
        2,
        &[
            ("SLURM_JOB_ID", "6003"),
            ("SLURM_ARRAY_JOB_ID", "6000"),
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_STEP_ID", "0"),
        ],
    );
    assert_eq!(task_step, root.join("pretrain/slurm-6000_3.0"));
    let other_task = job(
        2,
        &[
            ("SLURM_JOB_ID", "6004"),
            ("SLURM_ARRAY_JOB_ID", "6000"),
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_STEP_ID", "0"),
        ],
    );
    assert_eq!(other_task, root.join("pretrain/slurm-6000_4.0"));
    Ok(())
}

#[test]
fn a_requeued_job_finds_its_own_folder_again() -> TestResult {
    const TEST: &str = "cluster::a_requeued_job_finds_its_own_folder_again";
    if is_child(TEST) {
        return rank_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let first = [
        ("SLURM_JOB_ID", "7001"),
        ("SLURM_STEP_ID", "0"),
        ("SLURM_RESTART_COUNT", "0"),
    ];
    let folder = one_folder(&launch(TEST, TEST, root, 3, &first), 3);
    std::fs::write(folder.join("epoch_0001.ckpt"), b"weights")?;

    let requeued = [
        ("SLURM_JOB_ID", "7001"),
        ("SLURM_STEP_ID", "0"),
        ("SLURM_RESTART_COUNT", "1"),
    ];
    let again = launch(TEST, TEST, root, 3, &requeued);
    assert!(
        again.iter().all(|(path, new)| path == &folder && !new),
        "a requeued job resumes its folder: {again:?}"
    );
    assert!(folder.join("epoch_0001.ckpt").is_file());
    Ok(())
}

#[test]
fn torchrun_ids_that_clean_alike_never_share_a_folder() -> TestResult {
    const TEST: &str = "cluster::torchrun_ids_that_clean_alike_never_share_a_folder";
    if is_child(TEST) {
        return rank_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let mut folders = Vec::new();
    for id in ["exp:1", "exp/1", "你好", "日本", "job.", "a b"] {
        let folder = one_folder(
            &launch(TEST, TEST, root, 2, &[("TORCHELASTIC_RUN_ID", id)]),
            2,
        );
        let name = folder.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with("torchrun-"), "{name}");
        folders.push(name);
    }
    assert!(folders[0].starts_with("torchrun-exp-1..h"), "{folders:?}");
    assert!(folders[4].starts_with("torchrun-job-..h"), "{folders:?}");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        for bytes in [b"job\xff".to_vec(), b"job\xfe".to_vec()] {
            let root_text = root.to_str().expect("utf-8");
            let mut env: Vec<(&str, OsString)> = clean_env(&[(ENV_ROOT, root_text)])
                .into_iter()
                .map(|(k, v)| (k, OsString::from(v)))
                .collect();
            env.push(("TORCHELASTIC_RUN_ID", OsString::from_vec(bytes)));
            let lines = run_children(TEST, TEST, 2, &env, "RUN=");
            let reports: Vec<Report> = lines.iter().map(|l| parse(l)).collect();
            let folder = one_folder(&reports, 2);
            folders.push(folder.file_name().unwrap().to_str().unwrap().to_owned());
        }
    }
    let distinct: HashSet<&String> = folders.iter().collect();
    assert_eq!(distinct.len(), folders.len(), "{folders:?}");
    Ok(())
}

#[test]
fn seeded_ranks_in_two_time_zones_meet_in_the_launchers_folder() -> TestResult {
    const TEST: &str = "cluster::seeded_ranks_in_two_time_zones_meet_in_the_launchers_folder";
    if is_child(TEST) {
        // The code asks for a seeded id; under a launcher its date gives way
        // to the launcher's id, which every rank shares.
        let run = Run::builder("unused")
            .stage("pretrain")
            .seed(7)
            .from_env()?
            .start()?;
        println!("RUN={}|{}", run.path().display(), run.is_new());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    // UTC+12 and UTC-14 (POSIX signs) are 26 hours apart: their dates
    // always differ.
    let children: Vec<_> = ["UTC+12", "UTC-14", "UTC+12", "UTC-14"]
        .into_iter()
        .map(|tz| {
            let env = clean_env(&[
                (ENV_ROOT, root),
                ("TZ", tz),
                ("SLURM_JOB_ID", "8001"),
                ("SLURM_STEP_ID", "0"),
            ]);
            spawn_child(TEST, TEST, &env)
        })
        .collect();
    let reports: Vec<Report> = children
        .into_iter()
        .flat_map(|c| child_lines(c, "RUN="))
        .map(|l| parse(&l))
        .collect();
    let folder = one_folder(&reports, 4);
    let seeded = format!("pretrain/slurm-8001.0_{}", RunId::seed_suffix(7));
    assert_eq!(folder, tmp.path().join(seeded));
    Ok(())
}

/// `Run::builder(root).seed(7).start()` in the ranks of one `srun` step,
/// two in `TZ=UTC+12` and two in `TZ=UTC-14` (dates 26 hours apart), with no
/// `from_env()`: still one run, made by one rank.
#[test]
fn a_seeded_start_under_a_launcher_makes_one_run_in_two_time_zones() -> TestResult {
    const TEST: &str = "cluster::a_seeded_start_under_a_launcher_makes_one_run_in_two_time_zones";
    if is_child(TEST) {
        let run = Run::builder(std::env::var(ENV_ROOT)?).seed(7).start()?;
        println!("RUN={}|{}", run.path().display(), run.is_new());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let children: Vec<_> = ["UTC+12", "UTC-14", "UTC+12", "UTC-14"]
        .into_iter()
        .map(|tz| {
            let env = clean_env(&[
                (ENV_ROOT, root),
                ("TZ", tz),
                ("SLURM_JOB_ID", "55"),
                ("SLURM_STEP_ID", "0"),
            ]);
            spawn_child(TEST, TEST, &env)
        })
        .collect();
    let reports: Vec<Report> = children
        .into_iter()
        .flat_map(|c| child_lines(c, "RUN="))
        .map(|l| parse(&l))
        .collect();
    let folder = one_folder(&reports, 4);
    let seeded = format!("slurm-55.0_{}", RunId::seed_suffix(7));
    assert_eq!(folder, tmp.path().join(seeded));
    assert_eq!(support::folder_count(tmp.path()), 1, "one run folder");
    Ok(())
}

#[test]
fn ranks_say_which_process_is_primary_whichever_created_the_folder() -> TestResult {
    const TEST: &str = "cluster::ranks_say_which_process_is_primary_whichever_created_the_folder";
    if is_child(TEST) {
        let ranks = Ranks::detect()?;
        let run = Run::builder("unused").from_env()?.start()?;
        println!(
            "RANKS={}|{}|{}|{}|{}",
            ranks.rank(),
            ranks.local_rank(),
            ranks.world_size(),
            ranks.is_primary(),
            run.is_new()
        );
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let run_ranks = |per_rank: &dyn Fn(usize) -> Vec<(&'static str, String)>, count: usize| {
        let children: Vec<_> = (0..count)
            .map(|rank| {
                let mut env: Vec<(&str, String)> = clean_env(&[(ENV_ROOT, root)])
                    .into_iter()
                    .map(|(k, v)| (k, v.to_owned()))
                    .collect();
                env.extend(per_rank(rank));
                spawn_child(TEST, TEST, &env)
            })
            .collect();
        children
            .into_iter()
            .flat_map(|c| child_lines(c, "RANKS="))
            .map(|line| {
                let f: Vec<String> = line.split('|').map(str::to_owned).collect();
                (
                    f[0].parse::<usize>().unwrap(),
                    f[1].parse::<usize>().unwrap(),
                    f[2].parse::<usize>().unwrap(),
                    f[3] == "true",
                    f[4] == "true",
                )
            })
            .collect::<Vec<_>>()
    };

    // Four tasks of one srun step on two nodes.
    let slurm = run_ranks(
        &|rank| {
            vec![
                ("SLURM_JOB_ID", "9001".into()),
                ("SLURM_STEP_ID", "0".into()),
                ("SLURM_PROCID", rank.to_string()),
                ("SLURM_LOCALID", (rank % 2).to_string()),
                ("SLURM_NTASKS", "4".into()),
            ]
        },
        4,
    );
    let mut seen: Vec<usize> = slurm.iter().map(|r| r.0).collect();
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3]);
    assert!(slurm.iter().all(|r| r.2 == 4 && r.1 == r.0 % 2));
    let primaries: Vec<_> = slurm.iter().filter(|r| r.3).collect();
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0].0, 0, "rank 0 is the primary");
    assert_eq!(slurm.iter().filter(|r| r.4).count(), 1, "one creator");

    // torchrun's variables win inside a Slurm step: torchrun's ranks are the
    // processes that train.
    let torch = run_ranks(
        &|rank| {
            vec![
                ("TORCHELASTIC_RUN_ID", "t1".into()),
                ("SLURM_JOB_ID", "9002".into()),
                ("SLURM_STEP_ID", "0".into()),
                ("SLURM_PROCID", "0".into()),
                ("SLURM_LOCALID", "0".into()),
                ("SLURM_NTASKS", "1".into()),
                ("RANK", rank.to_string()),
                ("LOCAL_RANK", rank.to_string()),
                ("WORLD_SIZE", "2".into()),
            ]
        },
        2,
    );
    let mut torch_ranks: Vec<(usize, usize, bool)> =
        torch.iter().map(|r| (r.0, r.2, r.3)).collect();
    torch_ranks.sort();
    assert_eq!(torch_ranks, [(0, 2, true), (1, 2, false)]);

    // Outside a launcher: one process, the primary.
    let alone = run_ranks(&|_| Vec::new(), 1);
    assert_eq!(alone, [(0, 0, 1, true, true)]);
    Ok(())
}

#[test]
fn outside_a_launcher_every_process_gets_its_own_run() -> TestResult {
    const TEST: &str = "cluster::outside_a_launcher_every_process_gets_its_own_run";
    if is_child(TEST) {
        let run = Run::builder("x").stage("solo").from_env()?.start()?;
        println!("RUN={}", run.path().display());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    let env = clean_env(&[(ENV_ROOT, root)]);
    let folders: HashSet<String> = run_children(TEST, TEST, 4, &env, "RUN=")
        .into_iter()
        .collect();
    assert_eq!(folders.len(), 4);
    Ok(())
}
