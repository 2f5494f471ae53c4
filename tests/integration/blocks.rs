//! Blocks composed by hand on an `Engine`, checked against theory: an
//! M/M/4/20 from a source, a finite queue and a server pool; and a
//! saturated server behind the episode's 5:3:1 weighted fair queue.

use chaoswala::analytic;
use chaoswala::sim::blocks::queue::{Discipline, FiniteQueue};
use chaoswala::sim::blocks::servers::{ServerPool, ServiceDist, ServiceTime, Start};
use chaoswala::sim::blocks::source::{RateProfile, Source};
use chaoswala::sim::blocks::stats::{BlockStats, Reject};
use chaoswala::sim::{Engine, SimTime};

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    Done { server: u32, token: u32 },
}

/// (arrived, class)
type Job = (SimTime, usize);

struct Model {
    engine: Engine<Ev>,
    source: Source,
    queue: FiniteQueue<Job>,
    pool: ServerPool<Job>,
    stats: BlockStats,
    served_by_class: [u64; 3],
}

impl Model {
    fn new(c: usize, queue: FiniteQueue<Job>, lambda: f64, mu: f64, classes: &[f64]) -> Self {
        let mut engine = Engine::new();
        let mut source =
            Source::new(RateProfile::constant(lambda), 7, "arrivals").with_classes(classes);
        if let Some(t) = source.start(SimTime::ZERO) {
            engine.schedule(t, Ev::Arrival);
        }
        let service = ServiceTime::new(ServiceDist::Exponential, 1.0 / mu).expect("valid");
        Model {
            engine,
            source,
            queue,
            pool: ServerPool::new(c, service, 7, "servers"),
            stats: BlockStats::new(SimTime::ZERO),
            served_by_class: [0; 3],
        }
    }

    fn start(&mut self, now: SimTime, job: Job) -> Result<(), Job> {
        match self.pool.start(now, job) {
            Start::Started(s) => {
                self.stats.record_wait(now - job.0);
                self.engine.schedule(
                    s.at,
                    Ev::Done {
                        server: s.server as u32,
                        token: s.token,
                    },
                );
                Ok(())
            }
            Start::Refused(j) | Start::Hang(j) => Err(j),
        }
    }

    fn run(&mut self, horizon: SimTime) {
        while let Some(ev) = self.engine.pop_until(horizon) {
            let now = self.engine.now();
            match ev {
                Ev::Arrival => {
                    let (a, next) = self.source.arrive(now);
                    if let Some(t) = next {
                        self.engine.schedule(t, Ev::Arrival);
                    }
                    let job = (now, a.class);
                    self.stats.arrive(now, 1);
                    if let Err(job) = self.start(now, job)
                        && self.queue.push(job, job.1).is_err()
                    {
                        self.stats.reject(now, Reject::Full);
                    }
                }
                Ev::Done { server, token } => {
                    if let Some(((arrived, class), _)) =
                        self.pool.finish(now, server as usize, token)
                    {
                        self.stats.complete(now, now - arrived);
                        self.served_by_class[class] += 1;
                    }
                    if let Some((job, _)) = self.queue.pop() {
                        let _ = self.start(now, job);
                    }
                }
            }
            assert!(self.stats.conserved());
        }
    }
}

#[test]
fn blocks_make_an_m_m_4_20() {
    let mut m = Model::new(4, FiniteQueue::new(16, Discipline::Fifo), 3.6, 1.0, &[]);
    let horizon = SimTime::from_secs(400_000);
    m.run(horizon);
    let f = analytic::mmck(3.6, 1.0, 4, 20);
    let pb = m.stats.blocking_probability();
    let l = m.stats.mean_in_system(horizon);
    assert!(
        (pb - f.blocking_probability).abs() < 0.05 * f.blocking_probability,
        "{pb} vs {f:?}"
    );
    assert!(
        (l - f.mean_in_system).abs() < 0.02 * f.mean_in_system,
        "{l} vs {f:?}"
    );
    let u = m.pool.utilisation(horizon);
    assert!((u - f.utilisation).abs() < 0.01, "{u} vs {f:?}");
}

#[test]
fn a_saturated_server_behind_the_fair_queue_serves_five_three_one() {
    // Equal arrivals per class, far more than one server can take, and
    // room for all: every class is always backlogged, so service follows
    // the weights. (With a small shared buffer the slow classes would crowd
    // it and premium arrivals would be turned away instead.)
    let mut m = Model::new(
        1,
        FiniteQueue::new(1_000_000, Discipline::episode_fair()),
        30.0,
        1.0,
        &[1.0, 1.0, 1.0],
    );
    m.run(SimTime::from_secs(9_000));
    let [p, n, b] = m.served_by_class.map(|x| x as f64);
    let total = p + n + b;
    assert!(
        (p / total - 5.0 / 9.0).abs() < 0.01,
        "{:?}",
        m.served_by_class
    );
    assert!(
        (n / total - 3.0 / 9.0).abs() < 0.01,
        "{:?}",
        m.served_by_class
    );
    assert!(
        (b / total - 1.0 / 9.0).abs() < 0.01,
        "{:?}",
        m.served_by_class
    );
    assert_eq!(m.stats.rejected(Reject::Full), 0);
    assert!(m.queue.class_len(2) > m.queue.class_len(0));
}
