//! The `chaoswala` command: picks the dashboard or a headless mode, nothing else.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use chaoswala::report::{self, Format, RunOptions};
use chaoswala::scenario::{self, BUILTINS, DEFAULT_SCENARIO};

/// A terminal laboratory for queues, load balancers and failures:
/// an Andheri platform, the Tatkal 10:00 rush, the IPL-final order surge
/// and three roads into BKC. Run with no arguments to open the dashboard.
#[derive(Parser, Debug)]
#[command(
    name = "chaoswala",
    version,
    after_help = "Examples:\n  chaoswala                          open the dashboard\n  chaoswala list                     the built-in scenarios\n  chaoswala run platform --format json --seed 7\n  chaoswala run bkc-traffic --policy least-time --set demand_per_h=1800\n  chaoswala check my-scenario.ron"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the built-in scenarios: name and title.
    List,
    /// Validate scenario files; exit 0 when all are valid, 2 otherwise.
    Check {
        /// Scenario files (or built-in names).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run a scenario headless and print a report.
    Run {
        /// A built-in name (see `chaoswala list`) or a path to a .ron file.
        scenario: String,
        #[command(flatten)]
        common: Common,
        /// Simulated seconds to run (default: the scenario's duration_s).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Simulated seconds at the start whose statistics are discarded.
        #[arg(long, value_name = "SECONDS")]
        warmup: Option<f64>,
        /// Independent replications; metrics become means with 95 % intervals.
        #[arg(long, default_value_t = 1, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(report::MAX_REPLICATIONS)))]
        replications: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the report to PATH instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
    },
    /// Open the dashboard on one scenario.
    #[cfg(feature = "tui")]
    Tui {
        /// A built-in name or a path to a .ron file.
        scenario: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Flags shared by `run` and `tui`.
#[derive(Args, Debug, Clone)]
struct Common {
    /// Random seed (default: the scenario's seed).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Balancing / routing policy by name (default: the scenario's).
    #[arg(long, value_name = "NAME")]
    policy: Option<String>,
    /// Set a world parameter by its RON name, VALUE in RON syntax
    /// (repeatable; nested with dots), e.g. --set arrival_rate_per_min=54
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// `--format`: the report's formats, as the command line spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// Exit code for bad input (flags, values, scenario files).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => default_run(),
        Some(Cmd::List) => {
            for b in BUILTINS {
                match scenario::parse(b.name, b.text) {
                    Ok(s) => println!("{:<22} {}", b.name, s.title),
                    Err(e) => println!("{:<22} (invalid: {e})", b.name),
                }
            }
            ExitCode::SUCCESS
        }
        Some(Cmd::Check { files }) => check(&files),
        Some(Cmd::Run {
            scenario,
            common,
            duration,
            warmup,
            replications,
            format,
            out,
        }) => {
            let opts = RunOptions {
                duration_s: duration,
                warmup_s: warmup,
                seed: common.seed,
                policy: common.policy.clone(),
                replications,
            };
            run(
                &scenario,
                &common.sets,
                &opts,
                format.into(),
                out.as_deref(),
            )
        }
        #[cfg(feature = "tui")]
        Some(Cmd::Tui { scenario, common }) => {
            let loaded = match load_with_sets(&scenario, &common.sets) {
                Ok(l) => l,
                Err(code) => return code,
            };
            // Bad input is refused before the terminal is taken over; the
            // world itself is built once, by the dashboard.
            if let Some(p) = &common.policy {
                let catalog = loaded.scenario.world.catalog();
                if !catalog.accepts_policy(p) {
                    eprintln!(
                        "chaoswala: unknown policy `{p}`; expected one of: {}",
                        catalog.all_policies().join(", ")
                    );
                    return ExitCode::from(BAD_INPUT);
                }
            }
            let opts = chaoswala::tui::Options {
                seed: common.seed,
                policy: common.policy,
            };
            finish_tui(chaoswala::tui::run_scenario(loaded, &opts))
        }
    }
}

#[cfg(feature = "tui")]
fn finish_tui(r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chaoswala: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// No arguments: the dashboard in a terminal, the headless report otherwise.
fn default_run() -> ExitCode {
    #[cfg(feature = "tui")]
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return finish_tui(chaoswala::tui::run_picker());
    }
    let _ = std::io::stdout().is_terminal();
    run(
        DEFAULT_SCENARIO,
        &[],
        &RunOptions::default(),
        Format::Table,
        None,
    )
}

fn load_with_sets(name: &str, sets: &[String]) -> Result<scenario::Loaded, ExitCode> {
    let mut loaded = scenario::load(name).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    loaded.scenario.apply_sets(sets).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    Ok(loaded)
}

fn check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for f in files {
        match scenario::load(f) {
            Ok(l) => println!(
                "{f}: ok ({}, world {})",
                l.scenario.title,
                l.scenario.world.kind()
            ),
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{bad} of {} file{} invalid",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(BAD_INPUT)
    }
}

fn run(
    name: &str,
    sets: &[String],
    opts: &RunOptions,
    format: Format,
    out: Option<&std::path::Path>,
) -> ExitCode {
    let loaded = match load_with_sets(name, sets) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let report = match report::run(&loaded.scenario, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("chaoswala: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let text = report::render(&report, format);
    if let Some(path) = out {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("chaoswala: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    } else {
        // A closed pipe (e.g. `| head`) is not an error worth a panic.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    ExitCode::SUCCESS
}
