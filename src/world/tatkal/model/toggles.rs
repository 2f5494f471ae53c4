//! The switches of the 2024 redesign.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Tatkal {
    pub(super) fn toggles(&self) -> Vec<(String, bool)> {
        vec![
            ("waiting_room".into(), self.waiting_room),
            ("parallel_pipeline".into(), self.parallel),
            ("prewarm_cache".into(), self.prewarm),
            ("risk_captcha".into(), self.captcha == Captcha::RiskBased),
            ("adaptive_admission".into(), self.adaptive),
        ]
    }

    pub(super) fn toggle(
        &mut self,
        cx: &mut Cx<'_>,
        name: &str,
        on: bool,
    ) -> Result<String, CommandError> {
        match name {
            "waiting_room" => {
                self.waiting_room = on;
                if !on {
                    // Everyone waiting rushes in at once.
                    let n = self.room_len();
                    if self.opened {
                        self.release_all(cx);
                    } else {
                        while let Some(u) = self.queue.pop_front() {
                            let user = self.users.v[u as usize];
                            let train = user.train as usize;
                            let before = self.effective(train);
                            self.room_count[train] -= 1;
                            self.refresh_effective(train, before);
                            self.room_join_sum_ms[train] -= f64::from(user.arrived_ms);
                            self.queue_wait_sum_s +=
                                now_ms(cx).saturating_sub(u64::from(user.arrived_ms)) as f64
                                    / 1000.0;
                            self.queued -= 1;
                            self.pending += 1;
                            self.c.queue_departures += 1;
                            self.users.v[u as usize].state = PENDING;
                            let at = self.open_ms + ms_of(2.0 * self.reaction_rng.random::<f64>());
                            schedule(cx, at, Ev::Start { user: u });
                        }
                        self.set_level(cx);
                    }
                    return Ok(format!(
                        "waiting room off: {} waiting users hit the engines",
                        fmt_count(n as f64)
                    ));
                }
            }
            "parallel_pipeline" => {
                self.parallel = on;
                self.on_capacity_change();
            }
            "prewarm_cache" => self.prewarm = on,
            "risk_captcha" => {
                self.captcha = if on {
                    Captcha::RiskBased
                } else {
                    Captcha::EveryStep
                };
            }
            "adaptive_admission" => {
                self.adaptive = on;
                if !on {
                    self.admission_rate = self.base_rate();
                }
            }
            _ => {
                return Err(CommandError::UnknownToggle {
                    name: name.to_string(),
                    expected: self
                        .toggles()
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(format!("{name} {}", if on { "on" } else { "off" }))
    }
}
