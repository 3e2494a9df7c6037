//! Progress bars on standard error for the phases of a run (indicatif), one after
//! another; nothing with `--quiet` or when standard error is not a terminal.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use orbsim::progress::Progress;

/// Draws each phase as a bar with its rate and ETA (a spinner with the elapsed time when
/// the number of steps is unknown).
pub struct Bars {
    shown: bool,
    bar: Mutex<ProgressBar>,
}

impl Bars {
    /// Bars on standard error, unless `quiet` or standard error is not a terminal.
    pub fn new(quiet: bool) -> Bars {
        Bars { shown: !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(ProgressBar::hidden()) }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if self.shown
            && let Ok(bar) = self.bar.lock()
        {
            f(&bar);
        }
    }
}

/// Braces in a unit would be read as template keys.
fn literal(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

impl Progress for Bars {
    fn begin(&self, name: &str, total: u64, unit: &str) {
        if !self.shown {
            return;
        }
        let (bar, template) = if total == 0 {
            (ProgressBar::new_spinner(), format!("{{spinner}} {} ({{elapsed}})", literal(name)))
        } else {
            let unit = literal(unit);
            (
                ProgressBar::new(total),
                format!(
                    "{} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{elapsed}} elapsed, ETA {{eta}})",
                    literal(name)
                ),
            )
        };
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        if total == 0 {
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        if let Ok(mut current) = self.bar.lock() {
            current.finish_and_clear();
            *current = bar;
        }
    }

    fn advance(&self, steps: u64) {
        self.with_bar(|b| b.inc(steps));
    }

    fn set_position(&self, position: u64) {
        self.with_bar(|b| b.set_position(position));
    }

    fn end(&self) {
        self.with_bar(|b| b.finish_and_clear());
    }
}
