//! DVB-S2 MODCODs (ETSI EN 302 307-1, Table 13) and adaptive coding and modulation.
//!
//! The table is embedded from `data/linkbudget/dvbs2_modcods.csv`. The ideal Es/N0 a MODCOD
//! needs is *not* monotone in its spectral efficiency (8PSK 3/5 needs 5.50 dB for 1.78
//! bit/symbol while QPSK 9/10 needs 6.42 dB for 1.79), so choosing a MODCOD always scans the
//! whole candidate set, and the ACM ladder keeps only the MODCODs that some Es/N0 would pick.

use std::sync::OnceLock;

const DVBS2_CSV: &str = include_str!("../../data/linkbudget/dvbs2_modcods.csv");

/// One DVB-S2 modulation and coding combination (normal 64,800-bit frames, no pilots).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Modcod {
    /// Table name, e.g. `QPSK_1/4`, `32APSK_9/10`.
    pub name: &'static str,
    /// `QPSK`, `8PSK`, `16APSK` or `32APSK`.
    pub modulation: &'static str,
    /// LDPC code rate as written in the standard, e.g. `3/5`.
    pub code_rate: &'static str,
    /// Information bits carried per transmitted symbol.
    pub bits_per_symbol: f64,
    /// Es/N0 for quasi-error-free reception on an ideal AWGN channel, dB.
    pub ideal_es_n0_db: f64,
}

/// All 28 DVB-S2 MODCODs in table order (QPSK 1/4 first).
pub fn dvbs2_modcods() -> &'static [Modcod] {
    static TABLE: OnceLock<Vec<Modcod>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(DVBS2_CSV))
}

fn parse_table(text: &'static str) -> Vec<Modcod> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&'static str> = line.split(',').map(str::trim).collect();
            let number = |i: usize| -> f64 {
                f[i].parse().unwrap_or_else(|_| panic!("dvbs2_modcods.csv: bad number in `{line}`"))
            };
            Modcod {
                name: f[0],
                modulation: f[1],
                code_rate: f[2],
                bits_per_symbol: number(3),
                ideal_es_n0_db: number(4),
            }
        })
        .collect()
}

/// Looks a MODCOD up by its table name, ignoring ASCII case (`qpsk_1/2` finds `QPSK_1/2`).
pub fn modcod_by_name(name: &str) -> Option<&'static Modcod> {
    dvbs2_modcods().iter().find(|m| m.name.eq_ignore_ascii_case(name.trim()))
}

/// The names of all MODCODs, comma-separated, for error messages.
pub fn known_modcod_names() -> String {
    dvbs2_modcods().iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// The most efficient candidate whose ideal Es/N0 plus `margin_db` is met by `es_n0_db`,
/// scanning every candidate (thresholds are not monotone in efficiency). `None` when not even
/// the most robust candidate closes.
pub fn best_modcod<'a>(
    es_n0_db: f64,
    margin_db: f64,
    candidates: impl IntoIterator<Item = &'a Modcod>,
) -> Option<&'a Modcod> {
    candidates
        .into_iter()
        .filter(|m| m.ideal_es_n0_db + margin_db <= es_n0_db)
        .max_by(|a, b| a.bits_per_symbol.total_cmp(&b.bits_per_symbol))
}

/// The ACM ladder: the candidates [`best_modcod`] can return for some Es/N0, ordered by
/// ascending threshold, each strictly more efficient than every cheaper one. A MODCOD that
/// needs more Es/N0 than a more efficient one (QPSK 9/10 against 8PSK 2/3 would be an
/// example if 8PSK 2/3 were cheaper) never appears. Choosing the highest rung whose
/// threshold is met gives the same answer as [`best_modcod`] over the full candidate set.
pub fn acm_ladder<'a>(candidates: impl IntoIterator<Item = &'a Modcod>) -> Vec<&'a Modcod> {
    let mut sorted: Vec<&Modcod> = candidates.into_iter().collect();
    sorted.sort_by(|a, b| {
        a.ideal_es_n0_db.total_cmp(&b.ideal_es_n0_db).then(b.bits_per_symbol.total_cmp(&a.bits_per_symbol))
    });
    let mut ladder: Vec<&Modcod> = Vec::new();
    for m in sorted {
        match ladder.last() {
            Some(top) if m.bits_per_symbol <= top.bits_per_symbol => {}
            Some(top) if m.ideal_es_n0_db == top.ideal_es_n0_db => {}
            _ => ladder.push(m),
        }
    }
    ladder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_all_28() {
        let t = dvbs2_modcods();
        assert_eq!(t.len(), 28);
        assert_eq!(t[0].name, "QPSK_1/4");
        assert_eq!(t[27].name, "32APSK_9/10");
        assert!((t[27].bits_per_symbol - 4.453027).abs() < 1e-12);
        assert_eq!(modcod_by_name("8psk_3/5").unwrap().ideal_es_n0_db, 5.50);
        assert!(modcod_by_name("QPSK_7/8").is_none());
    }

    #[test]
    fn choice_at_thresholds_on_both_sides() {
        let all = dvbs2_modcods();
        // QPSK 1/4 needs −2.35 dB; with a 1 dB margin it closes from −1.35 dB.
        assert_eq!(best_modcod(-1.3501, 1.0, all), None);
        assert_eq!(best_modcod(-1.35, 1.0, all).unwrap().name, "QPSK_1/4");
        // 8PSK 3/5 (5.50 dB, 1.780) is chosen just below QPSK 9/10's 6.42 dB…
        assert_eq!(best_modcod(6.4199, 0.0, all).unwrap().name, "8PSK_3/5");
        // …and QPSK 9/10 (1.789) takes over exactly at 6.42 dB.
        assert_eq!(best_modcod(6.42, 0.0, all).unwrap().name, "QPSK_9/10");
        // Just below 8PSK 3/5's 5.50 dB the best is QPSK 5/6 (5.18 dB).
        assert_eq!(best_modcod(5.4999, 0.0, all).unwrap().name, "QPSK_5/6");
        // 16APSK 2/3 (8.97 dB, 2.637) beats 8PSK 3/4 (7.91 dB, 2.228) only from 8.97 dB.
        assert_eq!(best_modcod(8.9699, 0.0, all).unwrap().name, "8PSK_3/4");
        assert_eq!(best_modcod(8.97, 0.0, all).unwrap().name, "16APSK_2/3");
        // 8PSK 8/9 (10.69 dB, 2.646) is worse than 16APSK 3/4 (10.21 dB, 2.967): never picked.
        assert_eq!(best_modcod(10.7, 0.0, all).unwrap().name, "16APSK_3/4");
        assert_eq!(best_modcod(40.0, 0.0, all).unwrap().name, "32APSK_9/10");
    }

    #[test]
    fn ladder_agrees_with_full_scan() {
        let all = dvbs2_modcods();
        let ladder = acm_ladder(all);
        assert!(
            ladder
                .windows(2)
                .all(|w| { w[0].ideal_es_n0_db < w[1].ideal_es_n0_db && w[0].bits_per_symbol < w[1].bits_per_symbol })
        );
        assert!(!ladder.iter().any(|m| m.name == "8PSK_8/9"));
        for i in 0..4000 {
            let es_n0 = -4.0 + i as f64 * 0.006;
            let scan = best_modcod(es_n0, 0.5, all).map(|m| m.name);
            let rung = ladder.iter().rev().find(|m| m.ideal_es_n0_db + 0.5 <= es_n0).map(|m| m.name);
            assert_eq!(scan, rung, "at {es_n0} dB");
        }
    }
}
