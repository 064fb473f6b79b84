//! Tests of admission, routes and sweeping, with explicit instants instead of sleeps.

use super::*;

const TIMEOUT: Duration = Duration::from_secs(60);

fn route(generation: u64) -> Route {
    Route {
        generation,
        claim: GatewayClaim {
            replica_id: "r".into(),
            claimed_at_unix_ns: 1,
        },
        release: Shutdown::new(),
    }
}

fn pull(now: Instant) -> PullState {
    PullState {
        addr: "127.0.0.1:5000".parse().unwrap(),
        version: ProtocolVersion::V2,
        last_pull: now,
    }
}

#[test]
fn admits_only_allowed_gateways_when_an_allow_list_is_set() {
    let now = Instant::now();
    let mut open = GatewayTable::new(HashSet::new(), 10, None);
    assert!(open.admit(1, now).is_ok());
    let mut closed = GatewayTable::new(HashSet::from([1]), 10, None);
    assert!(closed.admit(1, now).is_ok());
    assert_eq!(closed.admit(2, now).err(), Some(Refusal::NotAllowed));
    assert_eq!(closed.len(), 1);
}

#[test]
fn refuses_new_gateways_when_full_but_keeps_known_ones() {
    let now = Instant::now();
    let mut table = GatewayTable::new(HashSet::new(), 2, None);
    assert!(table.admit(1, now).is_ok());
    assert!(table.admit(2, now).is_ok());
    assert_eq!(table.admit(3, now).err(), Some(Refusal::TableFull));
    assert!(table.admit(1, now).is_ok());
}

#[test]
fn rate_limits_each_gateway_separately() {
    let now = Instant::now();
    let limit = RateLimit::new(1, 2);
    let mut table = GatewayTable::new(HashSet::new(), 10, limit);
    let taken = |table: &mut GatewayTable, eui| {
        let gateway = table.admit(eui, now).unwrap();
        (0..5)
            .filter(|_| gateway.try_take(limit.as_ref(), now))
            .count()
    };
    assert_eq!(taken(&mut table, 1), 2);
    assert_eq!(taken(&mut table, 2), 2);
    let mut unlimited = GatewayTable::new(HashSet::new(), 10, None);
    assert_eq!(taken(&mut unlimited, 1), 5);
}

#[test]
fn take_route_only_takes_the_matching_generation() {
    let now = Instant::now();
    let mut table = GatewayTable::new(HashSet::new(), 10, None);
    table.admit(1, now).unwrap();
    assert!(table.set_route(1, route(7)).is_none());
    assert_eq!(table.n_routes(), 1);
    assert!(table.take_route(1, Some(6)).is_none());
    assert_eq!(table.take_route(1, Some(7)).map(|r| r.generation), Some(7));
    assert_eq!(table.n_routes(), 0);
    assert!(table.take_route(1, None).is_none());
    assert!(table.set_route(2, route(8)).is_none(), "unknown gateway");
    assert_eq!(table.n_routes(), 0);
}

#[test]
fn sweep_expires_silent_routes_reports_push_only_gateways_once_and_forgets_silent_ones() {
    let start = Instant::now();
    let mut table = GatewayTable::new(HashSet::new(), 10, None);
    // 1: pulls regularly and holds a route. 2: pulled once, then only pushes.
    // 3: only ever pushes. 4: silent after its first datagram.
    for eui in 1..=4 {
        table.admit(eui, start).unwrap();
    }
    for eui in [1, 2] {
        table.get_mut(eui).unwrap().pull = Some(pull(start));
        table.set_route(eui, route(eui));
    }
    let later = start + TIMEOUT;
    for eui in [1, 2, 3] {
        table.admit(eui, later).unwrap();
    }
    table.get_mut(1).unwrap().pull = Some(pull(later));

    let sweep = table.sweep(later, TIMEOUT);
    let expired: Vec<u64> = sweep.expired.iter().map(|(eui, _)| *eui).collect();
    assert_eq!(expired, [2]);
    assert_eq!(sweep.push_only, [3]);
    assert_eq!(sweep.forgotten, 1);
    assert!(table.get(4).is_none());
    assert_eq!(table.n_routes(), 1);
    assert!(table.get(1).unwrap().route().is_some());

    let again = table.sweep(later, TIMEOUT);
    assert!(again.expired.is_empty() && again.push_only.is_empty());
    assert_eq!(again.forgotten, 0);
}
