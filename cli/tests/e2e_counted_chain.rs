//! A counted resource whose instance i reads instance i - 1 of itself: the graph is per
//! instance (the index `count.index - 1` is evaluated for each instance), so this is a
//! chain, not a cycle. Plan, apply, a no-change plan and destroy all work, and apply and
//! destroy follow the chain even with parallelism to spare.

mod e2e_common;

use e2e_common::Project;

const N: usize = 12;

fn config() -> String {
    format!(
        r#"resource null_resource c {{
  count    = {N}
  triggers = {{ prev = count.index == 0 ? "start" : null_resource.c[count.index - 1].id }}
}}
"#
    )
}

fn addr(i: usize) -> String {
    format!("null_resource.c[{i}]")
}

/// Position of the first stderr line that starts with `start`.
fn line_at(stderr: &str, start: &str) -> usize {
    stderr
        .lines()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{stderr}"))
}

#[test]
fn graph_links_each_instance_to_the_previous_one_only() {
    let p = Project::with_main(&config());
    let run = p.aic(&["graph"]).success();
    let mut edges: Vec<&str> = run.stdout.lines().filter(|l| l.contains("->")).collect();
    edges.sort_unstable();
    let mut expected: Vec<String> = (1..N)
        .map(|i| format!("  \"{}\" -> \"{}\";", addr(i), addr(i - 1)))
        .collect();
    expected.sort_unstable();
    assert_eq!(edges, expected, "graph:\n{}", run.stdout);
}

#[test]
fn plan_apply_and_destroy_follow_the_chain() {
    let p = Project::with_main(&config());
    p.aic(&["plan"])
        .success()
        .stdout_has(&format!("Plan: {N} to add, 0 to change, 0 to destroy."))
        .stdout_has(r#""prev" = "start""#);

    let run = p
        .aic(&["apply", "--auto-approve", "--parallelism", "10"])
        .success()
        .stdout_has(&format!("{N} added"));
    for i in 1..N {
        let done = line_at(&run.stderr, &format!("{}: Creation complete", addr(i - 1)));
        let started = line_at(&run.stderr, &format!("{}: Creating...", addr(i)));
        assert!(
            done < started,
            "{} started before {} was created:\n{run}",
            addr(i),
            addr(i - 1)
        );
    }

    // Each instance recorded the id of the one before it.
    let mut prev = "start".to_owned();
    for i in 0..N {
        let attrs = p.state_attributes(&addr(i), None);
        assert_eq!(attrs["triggers"]["prev"], prev.as_str(), "{}", addr(i));
        prev = attrs["id"].as_str().expect("an id").to_owned();
    }

    p.aic(&["plan"]).success().stdout_has("No changes");

    let run = p
        .aic(&["destroy", "--auto-approve", "--parallelism", "10"])
        .success()
        .stdout_has(&format!("{N} destroyed"));
    for i in 1..N {
        let done = line_at(&run.stderr, &format!("{}: Destruction complete", addr(i)));
        let started = line_at(&run.stderr, &format!("{}: Destroying...", addr(i - 1)));
        assert!(
            done < started,
            "{} was destroyed before {}:\n{run}",
            addr(i - 1),
            addr(i)
        );
    }
    assert!(p.state_list(None).is_empty());
}
