use chaoswala::scenario;
use chaoswala::sim::SimTime;

#[test]
#[ignore]
fn trace() {
    let name = std::env::var("SCN").unwrap_or("ipl-final".into());
    let mut s = scenario::load(&name).unwrap().scenario;
    let sets: Vec<String> = std::env::var("SETS").unwrap_or("volume_scale=0.1".into()).split(',').map(String::from).collect();
    s.apply_sets(&sets).unwrap();
    let mut sim = s.simulation(None, None).unwrap();
    let mut t = 0;
    while t < 14400 {
        t += 300;
        sim.run_until(SimTime::from_secs(t));
        let snap = sim.snapshot();
        let m = sim.world().metrics();
        let g: Vec<String> = snap.gauges.iter().filter(|g| g.label != "pool waiting").map(|g| g.text.clone()).collect();
        let q = m["backlog"];
        let k: Vec<String> = snap.units.iter().filter(|u| u.name.starts_with("kitchen")).map(|u| u.extra.clone()).take(1).collect();
        println!("{:>5} uniq {:>6} dup {:>6} deliv {:>6} canc {:>6} decl {:>6} insys {:>6} appq {:>6} {:?} {} | {}", t/60, m["orders_unique"], m["orders_duplicate"], m["delivered"], m["cancelled"], m["declined"], m["in_system"], q, k, m["app_servers"], g.join(" | "));
    }
    let m = sim.world().metrics();
    for k in ["orders_unique","orders_duplicate","duplicates_merged","delivered","delivered_unique","cancelled","declined","declined_shed_eta","declined_shed_distance","declined_pool_timeout","declined_app_queue_full","backlog_peak","in_system_peak","p50_delivery_time_s","p95_delivery_time_s","p50_confirm_time_s","p95_confirm_time_s","partners_online_min","revenue_lost_inr","revenue_delivered_inr","breaker_opens","retries"] { println!("{k} {:.1}", m[k]); }
}
