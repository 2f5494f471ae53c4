//! The `chaoswala` command: picks the dashboard or a headless mode, nothing else.

use std::fmt::Write as _;
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
    /// (repeatable; nested with dots, a network's nodes by name), e.g. --set arrival_rate_per_min=54 or --set nodes.db.servers=8
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

/// A line on standard error; a closed or full stderr is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes `text` to standard output and flushes it: the one way this
/// program prints. A closed pipe (`| head`, `| true`) ends output quietly,
/// as Unix tools do; any other failure (a full disk) is an error.
fn emit(text: &str) -> Result<(), Emit> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Emit::Closed),
        Err(e) => {
            say!("chaoswala: cannot write to standard output: {e}");
            Err(Emit::Failed)
        }
    }
}

/// Why standard output took no more.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Emit {
    /// The reader went away: stop quietly.
    Closed,
    /// Reported already: exit 1.
    Failed,
}

/// The exit code of a finished command whose output is `emitted`.
fn exit_after(emitted: Result<(), Emit>, code: ExitCode) -> ExitCode {
    match emitted {
        Err(Emit::Failed) => ExitCode::FAILURE,
        Ok(()) | Err(Emit::Closed) => code,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => default_run(),
        Some(Cmd::List) => {
            let mut text = String::new();
            for b in BUILTINS {
                let _ = match scenario::parse(b.name, b.text) {
                    Ok(s) => writeln!(text, "{:<22} {}", b.name, s.title),
                    Err(e) => writeln!(text, "{:<22} (invalid: {e})", b.name),
                };
            }
            exit_after(emit(&text), ExitCode::SUCCESS)
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
                    say!(
                        "chaoswala: unknown policy `{p}`; expected one of: {}",
                        catalog.all_policies().join(", ")
                    );
                    return ExitCode::from(BAD_INPUT);
                }
            }
            // Without a terminal on both ends there is nothing to draw on:
            // refuse before anything is written to standard output.
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                say!("chaoswala: the dashboard needs a terminal; try `chaoswala run {scenario}`");
                return ExitCode::from(BAD_INPUT);
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
            say!("chaoswala: {e:#}");
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
        say!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    loaded.scenario.apply_sets(sets).map_err(|e| {
        say!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    Ok(loaded)
}

fn check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    // After a closed pipe the files are still checked (the exit code
    // tells), only nothing more is printed.
    let mut emitted = Ok(());
    for f in files {
        match scenario::load(f) {
            Ok(l) => {
                if emitted.is_ok() {
                    emitted = emit(&format!(
                        "{f}: ok ({}, world {})\n",
                        l.scenario.title,
                        l.scenario.world.kind()
                    ));
                }
            }
            Err(e) => {
                bad += 1;
                say!("{e}");
            }
        }
    }
    let code = if bad == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{bad} of {} file{} invalid",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(BAD_INPUT)
    };
    exit_after(emitted, code)
}

/// The report's destination for `--out`: a temporary file beside it,
/// created before the run (so that an unwritable path is refused at once)
/// and renamed over PATH once the report is written whole.
struct OutFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: std::fs::File,
}

impl OutFile {
    fn create(path: &std::path::Path) -> Result<OutFile, String> {
        if path.is_dir() {
            return Err(format!("cannot write {}: it is a folder", path.display()));
        }
        let name = path
            .file_name()
            .ok_or_else(|| format!("cannot write {}: not a file name", path.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(OutFile {
            path: path.to_path_buf(),
            tmp,
            file,
        })
    }

    fn commit(mut self, text: &str) -> Result<(), String> {
        let written = self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.path));
        written.map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            format!("cannot write {}: {e}", self.path.display())
        })
    }

    fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
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
    let out_file = match out.map(OutFile::create).transpose() {
        Ok(o) => o,
        Err(m) => {
            say!("chaoswala: {m}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let report = match report::run(&loaded.scenario, opts) {
        Ok(r) => r,
        Err(e) => {
            if let Some(o) = out_file {
                o.abandon();
            }
            say!("chaoswala: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let text = report::render(&report, format);
    match out_file {
        Some(o) => match o.commit(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(m) => {
                say!("chaoswala: {m}");
                ExitCode::FAILURE
            }
        },
        None => exit_after(emit(&text), ExitCode::SUCCESS),
    }
}
