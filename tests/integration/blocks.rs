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

/// A station that keeps no EWMAs admits, draws, times and requeues
/// exactly as one that does (same streams, same decisions), under slot
/// faults and a crash; only what it tells a router differs.
#[test]
fn a_station_without_ewmas_runs_as_one_with_them() {
    use chaoswala::sim::blocks::exp1;
    use chaoswala::sim::blocks::station::{Arrive, Begun, Pulled, ServiceModel, Station};
    use chaoswala::sim::fault::Effect;
    use chaoswala::sim::rng::stream;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    let svc = ServiceTime::new(ServiceDist::Exponential, 1.0).expect("valid");
    let new = || Station::<u32>::new(3, 8, Discipline::Fifo, ServiceModel::Fixed(svc), 5, "s");
    let mut with = new();
    let mut without = new().without_ewma();
    let mut rng = stream(5, "arrivals");
    let mut heap: BinaryHeap<Reverse<(SimTime, u64, usize, u32)>> = BinaryHeap::new();
    let (mut t, mut seq, mut finished) = (0.0, 0u64, 0u64);
    let mut push = |heap: &mut BinaryHeap<_>, b: Begun| {
        seq += 1;
        heap.push(Reverse((b.at, seq, b.slot, b.token)));
    };
    for n in 0..20_000u32 {
        t += exp1(&mut rng) / 2.8;
        let now = SimTime::from_secs_f64(t);
        if n % 5000 == 2500 {
            // Faults on every slot, one of them down: its job is requeued.
            let e = |i: usize| match i {
                0 => Effect {
                    error_p: 0.3,
                    ..Effect::NONE
                },
                1 => Effect {
                    slowdown: 0.5,
                    latency_s: 0.2,
                    jitter_s: 0.1,
                    ..Effect::NONE
                },
                _ => Effect {
                    down: true,
                    ..Effect::NONE
                },
            };
            assert_eq!(
                with.set_slot_effects(now, e),
                without.set_slot_effects(now, e)
            );
        } else if n % 5000 == 4000 {
            with.set_slot_effects(now, |_| Effect::NONE);
            without.set_slot_effects(now, |_| Effect::NONE);
            while let Some(p) = with.pull(now) {
                assert_eq!(Some(p), without.pull(now));
                if let Pulled::Started(b) = p {
                    push(&mut heap, b);
                }
            }
        }
        while let Some(&Reverse((at, _, slot, token))) = heap.peek() {
            if at > now {
                break;
            }
            heap.pop();
            let a = with.finish(at, slot, token);
            let b = without.finish(at, slot, token);
            assert_eq!(a, b);
            if let Some(f) = a {
                finished += 1;
                if let Some(Pulled::Started(b)) = f.next {
                    push(&mut heap, b);
                }
            }
        }
        let a = with.arrive(now, n, 0);
        assert_eq!(a, without.arrive(now, n, 0));
        if let Arrive::Admitted(b) = a {
            push(&mut heap, b);
        }
        assert_eq!(with.in_system(), without.in_system());
    }
    assert!(finished > 15_000, "{finished}");
    let now = SimTime::from_secs_f64(t);
    assert_eq!(with.utilisation(now), without.utilisation(now));
    assert!(with.latency_s() > 0.0 && with.success_rate() < 1.0);
    assert_eq!((without.latency_s(), without.success_rate()), (0.0, 1.0));
}
