//! The embedded engine end to end on tiny hand-made lakes: every expected value below is worked
//! out by hand from the games listed in the test.

use std::path::Path;

use coinking_analytics::fixture::{Game, games_parquet};
use coinking_analytics::results::all_keys;
use coinking_analytics::{AnalyzeConfig, Location, run_analysis};
use serde_json::{Value, json};

fn game(id: &str, user: &str, balance: f64) -> Game {
    Game {
        event_id: id.to_owned(),
        received_at_ms: 1_732_500_000_000,
        user_name: user.to_owned(),
        coins: vec!["KRW-BTC".to_owned()],
        leverage: 1,
        ai_recommend_1: false,
        ai_recommend_2: false,
        remaining_time: [10.0, 20.0, 30.0],
        sells: [
            ("KRW-BTC".to_owned(), 5.0),
            ("KRW-BTC".to_owned(), 5.0),
            ("KRW-BTC".to_owned(), 5.0),
        ],
        balance,
    }
}

fn write_file(root: &Path, relative: &str, games: &[Game]) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, games_parquet(games).unwrap()).unwrap();
}

fn read(root: &Path, relative: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root.join(relative)).unwrap()).unwrap()
}

async fn analyze(lake: &Path, out: &Path) -> coinking_analytics::Manifest {
    let mut config = AnalyzeConfig::new(
        Location::Local(lake.to_path_buf()),
        Location::Local(out.to_path_buf()),
    );
    config.target_partitions = 2;
    run_analysis(&config).await.unwrap()
}

#[tokio::test]
async fn empty_lake_yields_every_key_with_its_shape() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let manifest = analyze(lake.path(), out.path()).await;
    assert_eq!(manifest.record_count, 0);
    assert_eq!(manifest.top_10_percent_threshold, None);
    for name in all_keys() {
        let value = read(out.path(), &format!("analysis/{name}.json"));
        assert!(value.is_array() || value.is_object(), "{name}: {value}");
    }
    assert_eq!(
        read(out.path(), "analysis/leverage_ratio.json"),
        json!([
            {"leverage": 1, "count": 0, "ratio": 0.0},
            {"leverage": 10, "count": 0, "ratio": 0.0},
            {"leverage": 100, "count": 0, "ratio": 0.0},
            {"leverage": 1000, "count": 0, "ratio": 0.0},
        ])
    );
    assert_eq!(read(out.path(), "analysis/coin_ratio.json"), json!([]));
    assert_eq!(
        read(out.path(), "analysis/avg_balance.json"),
        json!({"avg_balance": 0.0})
    );
    assert!(out.path().join("analysis/_manifest.json").exists());
}

/// Ten games with balances 1..=10 (×1e9), one per player except `kim` who has two.
/// q(0.9) over 10 values as Spark's approxQuantile(…, 0.0) picks it: rank ceil(0.9 × 10) = 9, the
/// balance 9e9 itself: the top 10 % is the two games with balances 9e9 and 10e9.
fn ten_games() -> Vec<Game> {
    let mut games = Vec::new();
    for i in 1..=10 {
        let user = if i <= 2 {
            "kim".to_owned()
        } else {
            format!("p{i}")
        };
        let mut g = game(
            &format!("00000000-0000-4000-8000-{i:012}"),
            &user,
            i as f64 * 1e9,
        );
        g.leverage = if i <= 5 { 10 } else { 100 };
        g.ai_recommend_1 = i % 2 == 0;
        g.coins = if i == 10 {
            vec!["KRW-ETH".to_owned(), "KRW-SOL".to_owned()]
        } else {
            vec!["KRW-BTC".to_owned()]
        };
        g.remaining_time = [i as f64, 0.0, 90.0];
        g.sells = [
            (g.coins[0].clone(), i as f64),
            ("KRW-XRP".to_owned(), 1.0),
            ("KRW-XRP".to_owned(), 3.0),
        ];
        games.push(g);
    }
    games
}

#[tokio::test]
async fn computes_the_twenty_results_by_hand() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let games = ten_games();
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=01/shardId-000000000000-1.parquet",
        &games[..6],
    );
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=02/shardId-000000000000-7.parquet",
        &games[6..],
    );
    let manifest = analyze(lake.path(), out.path()).await;
    assert_eq!(manifest.record_count, 10);
    assert_eq!(manifest.game_count, 10);
    assert_eq!(manifest.duplicates_dropped, 0);
    assert_eq!(manifest.player_count, 9);
    assert_eq!(manifest.input_files.len(), 2);
    assert_eq!(manifest.top_10_percent_threshold, Some(9e9));
    assert_eq!(manifest.top_10_percent_games, 2);

    // One document holds all 20 results of this run, equal to the per-result files.
    let snapshot = read(out.path(), "analysis/_results.json");
    assert_eq!(snapshot["run_id"], json!(manifest.run_id));
    assert_eq!(snapshot["generated_at_ms"], json!(manifest.generated_at_ms));
    let stored = snapshot["results"].as_object().unwrap();
    assert_eq!(stored.len(), 20);
    for name in &manifest.results {
        let file = read(out.path(), &format!("analysis/{name}.json"));
        assert_eq!(stored[name], file, "{name}");
    }

    let r = |name: &str| read(out.path(), &format!("analysis/{name}.json"));
    // 11 picks: 9 × BTC, ETH, SOL.
    assert_eq!(
        r("coin_ratio"),
        json!([
            {"coin": "KRW-BTC", "count": 9, "ratio": 9.0 / 11.0 * 100.0},
            {"coin": "KRW-ETH", "count": 1, "ratio": 1.0 / 11.0 * 100.0},
            {"coin": "KRW-SOL", "count": 1, "ratio": 1.0 / 11.0 * 100.0},
        ])
    );
    // BTC sold at 1..=9 → 5; ETH at 10; XRP at 1 and 3 in every game → 2.
    assert_eq!(
        r("coin_avg_sell_time"),
        json!([
            {"coin": "KRW-BTC", "avg_sell_time": 5.0},
            {"coin": "KRW-ETH", "avg_sell_time": 10.0},
            {"coin": "KRW-XRP", "avg_sell_time": 2.0},
        ])
    );
    assert_eq!(
        r("leverage_ratio"),
        json!([
            {"leverage": 1, "count": 0, "ratio": 0.0},
            {"leverage": 10, "count": 5, "ratio": 50.0},
            {"leverage": 100, "count": 5, "ratio": 50.0},
            {"leverage": 1000, "count": 0, "ratio": 0.0},
        ])
    );
    assert_eq!(
        r("leverage_avg_balance"),
        json!([{"leverage": 10, "avg_balance": 3e9}, {"leverage": 100, "avg_balance": 8e9}])
    );
    // Even balances have the hint: 2,4,6,8,10 → mean 6e9; odd → 5e9.
    assert_eq!(
        r("ai_recommend_1_ratio"),
        json!([
            {"aiRecommend_1": true, "count": 5, "ratio": 50.0},
            {"aiRecommend_1": false, "count": 5, "ratio": 50.0},
        ])
    );
    assert_eq!(
        r("ai_recommend_1_avg_balance"),
        json!([{"aiRecommend_1": true, "avg_balance": 6e9}, {"aiRecommend_1": false, "avg_balance": 5e9}])
    );
    // Nobody used hint 2: the ratio is still two entries, the average lists only `false`.
    assert_eq!(
        r("ai_recommend_2_avg_balance"),
        json!([{"aiRecommend_2": false, "avg_balance": 5.5e9}])
    );
    assert_eq!(r("avg_balance"), json!({"avg_balance": 5.5e9}));
    assert_eq!(
        r("page_time_avg"),
        json!({"avg_time_1": 5.5, "avg_time_2": 0.0, "avg_time_3": 90.0})
    );
    assert_eq!(
        r("sell_time_avg"),
        json!({"avg_sell_time_1": 5.5, "avg_sell_time_2": 1.0, "avg_sell_time_3": 3.0})
    );
    // The top 10 % is games 9 (BTC) and 10 (ETH, SOL), both at leverage 100: one-row groups stay
    // arrays, and this one result's ratios are rounded to 2 places (1/3 → 33.33).
    assert_eq!(
        r("top_10_percent_coin_ratio"),
        json!([
            {"coin": "KRW-BTC", "count": 1, "ratio": 33.33},
            {"coin": "KRW-ETH", "count": 1, "ratio": 33.33},
            {"coin": "KRW-SOL", "count": 1, "ratio": 33.33},
        ])
    );
    assert_eq!(
        r("top_10_percent_leverage_avg_balance"),
        json!([{"leverage": 100, "avg_balance": 9.5e9}])
    );
    assert_eq!(
        r("top_10_percent_ai_recommend_1_ratio"),
        json!([
            {"aiRecommend_1": true, "count": 1, "ratio": 50.0},
            {"aiRecommend_1": false, "count": 1, "ratio": 50.0},
        ])
    );
    assert_eq!(
        r("top_10_percent_avg_sell_time_by_category"),
        json!({"avg_sell_time_1": 9.5, "avg_sell_time_2": 1.0, "avg_sell_time_3": 3.0})
    );
    assert_eq!(
        r("top_10_percent_coin_avg_sell_time"),
        json!([
            {"coin": "KRW-BTC", "avg_sell_time": 9.0},
            {"coin": "KRW-ETH", "avg_sell_time": 10.0},
            {"coin": "KRW-XRP", "avg_sell_time": 2.0},
        ])
    );

    // kim: balances 1e9 and 2e9. Best 2e9: 1 game of 10 below it, 0 players of 9 below it.
    let kim = read(out.path(), "analysis/users/kim.json");
    assert_eq!(kim["games"], json!(2));
    assert_eq!(kim["best_balance"], json!(2e9));
    assert_eq!(kim["avg_balance"], json!(1.5e9));
    assert_eq!(kim["best_return_pct"], json!(25.0));
    assert_eq!(kim["percentile_games"], json!(10.0));
    assert_eq!(kim["percentile_players"], json!(0.0));
    assert_eq!(kim["ai_recommend_1"], json!({"used": 1, "ratio": 50.0}));
    assert_eq!(kim["top_10_percent_games"], json!(0));
    let p10 = read(out.path(), "analysis/users/p10.json");
    assert_eq!(p10["percentile_games"], json!(90.0));
    assert_eq!(p10["percentile_players"], json!(8.0 / 9.0 * 100.0));
    assert_eq!(p10["top_10_percent_games"], json!(1));
    let p9 = read(out.path(), "analysis/users/p9.json");
    assert_eq!(p9["top_10_percent_games"], json!(1));
    assert_eq!(p9["top_10_percent_threshold"], json!(9e9));
}

#[tokio::test]
async fn duplicates_keep_the_earliest_received_then_the_smallest_values() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let original = game("11111111-1111-4111-8111-111111111111", "kim", 2e9);
    let mut resent_later = original.clone();
    resent_later.received_at_ms += 1000;
    resent_later.balance = 9e9;
    let exact_copy = original.clone();
    let other = game("22222222-2222-4222-8222-222222222222", "lee", 4e9);
    let mut same_instant = other.clone();
    same_instant.balance = 3e9;
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=01/a.parquet",
        &[original, other],
    );
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=02/b.parquet",
        &[resent_later, exact_copy, same_instant],
    );
    let manifest = analyze(lake.path(), out.path()).await;
    assert_eq!(manifest.record_count, 5);
    assert_eq!(manifest.game_count, 2);
    assert_eq!(manifest.duplicates_dropped, 3);
    // kim keeps 2e9 (earliest), lee keeps 3e9 (same instant: smaller balance first).
    assert_eq!(
        read(out.path(), "analysis/avg_balance.json"),
        json!({"avg_balance": 2.5e9})
    );
}

#[tokio::test]
async fn a_file_that_is_not_parquet_fails_the_run_and_writes_no_manifest() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // Files on both sides of the broken one: the decoding threads stop and the error comes back.
    for (hour, id) in [("01", "1"), ("03", "3")] {
        let id = format!("{id}1111111-1111-4111-8111-111111111111");
        write_file(
            lake.path(),
            &format!("clickstream/dt=2024-11-25/hour={hour}/a.parquet"),
            &[game(&id, "kim", 2e9)],
        );
    }
    let broken = lake
        .path()
        .join("clickstream/dt=2024-11-25/hour=02/broken.parquet");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, b"not a parquet file").unwrap();
    let mut config = AnalyzeConfig::new(
        Location::Local(lake.path().to_path_buf()),
        Location::Local(out.path().to_path_buf()),
    );
    config.target_partitions = 2;
    let error = run_analysis(&config).await.unwrap_err();
    assert!(error.to_string().contains("parquet"), "{error}");
    assert!(!out.path().join("analysis/_manifest.json").exists());
}

#[tokio::test]
async fn ties_at_the_quantile_are_all_in_the_top() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // 11 games: 1..=8 and three at 9. Position 0.9 × 10 = 9 → x[9] = 9: all three 9s are "top".
    let mut games = Vec::new();
    for (i, balance) in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0, 9.0]
        .into_iter()
        .enumerate()
    {
        games.push(game(
            &format!("00000000-0000-4000-8000-{i:012}"),
            &format!("p{i}"),
            balance * 1e9,
        ));
    }
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=00/x.parquet",
        &games,
    );
    let manifest = analyze(lake.path(), out.path()).await;
    assert_eq!(manifest.top_10_percent_threshold, Some(9e9));
    assert_eq!(manifest.top_10_percent_games, 3);
}

/// One game per balance, one player each, in one file; returns the manifest of the run.
async fn analyze_balances(balances: &[f64]) -> coinking_analytics::Manifest {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let games: Vec<Game> = balances
        .iter()
        .enumerate()
        .map(|(i, balance)| {
            game(
                &format!("00000000-0000-4000-8000-{i:012}"),
                &format!("p{i}"),
                *balance,
            )
        })
        .collect();
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=00/x.parquet",
        &games,
    );
    analyze(lake.path(), out.path()).await
}

#[tokio::test]
async fn players_tied_at_the_start_balance_are_all_in_the_top() {
    // Eight of ten players never traded and ended at exactly 1.6e9; one lost, one won. Spark's
    // approxQuantile(…, 0.0) answers the 9th smallest, 1.6e9, so all eight are in the top 10 %
    // with the winner (interpolating gave 1.64e9 and a top of one).
    let mut balances = vec![1.0e9];
    balances.extend([1.6e9; 8]);
    balances.push(2.0e9);
    let manifest = analyze_balances(&balances).await;
    assert_eq!(manifest.top_10_percent_threshold, Some(1.6e9));
    assert_eq!(manifest.top_10_percent_games, 9);
}

#[tokio::test]
async fn the_top_of_one_two_and_ten_games_is_a_balance_in_the_data() {
    let one = analyze_balances(&[1.7e9]).await;
    assert_eq!(one.top_10_percent_threshold, Some(1.7e9));
    assert_eq!(one.top_10_percent_games, 1);
    // n = 2: rank ceil(1.8) = 2, the larger balance.
    let two = analyze_balances(&[1.7e9, 1.5e9]).await;
    assert_eq!(two.top_10_percent_threshold, Some(1.7e9));
    assert_eq!(two.top_10_percent_games, 1);
    let tied_two = analyze_balances(&[1.6e9, 1.6e9]).await;
    assert_eq!(tied_two.top_10_percent_threshold, Some(1.6e9));
    assert_eq!(tied_two.top_10_percent_games, 2);
    // n = 10: rank 9.
    let ten: Vec<f64> = (1..=10).map(|i| f64::from(i) * 1e8).collect();
    let ten = analyze_balances(&ten).await;
    assert_eq!(ten.top_10_percent_threshold, Some(9e8));
    assert_eq!(ten.top_10_percent_games, 2);
}

/// A small deterministic generator (SplitMix64), so the lake is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `count` games spread over `files` files, with fractional balances and times (whose float sums
/// depend on the order they are added in) and some re-sent event ids.
fn varied_lake(root: &Path, count: usize, files: usize) {
    const MARKETS: [&str; 4] = ["KRW-BTC", "KRW-ETH", "KRW-SOL", "KRW-XRP"];
    let mut random = SplitMix(18);
    let mut games = Vec::with_capacity(count);
    for i in 0..count {
        let mut g = game(
            &format!("00000000-0000-4000-8000-{:012}", i % (count - count / 50)),
            &format!("player-{}", i % 700),
            (1.6e9 * (0.5 + random.unit()) * 1e3).round() / 1e3,
        );
        g.leverage = [1, 10, 100, 1000][(random.next() % 4) as usize];
        g.ai_recommend_1 = random.next() % 3 == 0;
        g.ai_recommend_2 = random.next() % 5 == 0;
        g.coins = vec![MARKETS[(random.next() % 4) as usize].to_owned()];
        g.remaining_time = [
            (random.unit() * 90_000.0).round() / 1000.0,
            (random.unit() * 90_000.0).round() / 1000.0,
            (random.unit() * 90_000.0).round() / 1000.0,
        ];
        g.sells = [
            (g.coins[0].clone(), (random.unit() * 9000.0).round() / 100.0),
            (
                MARKETS[(random.next() % 4) as usize].to_owned(),
                random.unit() * 90.0,
            ),
            (
                MARKETS[(random.next() % 4) as usize].to_owned(),
                random.unit() * 90.0,
            ),
        ];
        games.push(g);
    }
    let per_file = count.div_ceil(files);
    for (index, chunk) in games.chunks(per_file).enumerate() {
        write_file(
            root,
            &format!("clickstream/dt=2024-11-25/hour=00/shard-{index:03}.parquet"),
            chunk,
        );
    }
}

/// Every `.json` under `dir` (recursively) as relative path → bytes.
fn json_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn running_twice_on_the_same_lake_writes_byte_identical_results() {
    let lake = tempfile::tempdir().unwrap();
    varied_lake(lake.path(), 60_000, 12);
    let mut runs = Vec::new();
    for _ in 0..3 {
        let out = tempfile::tempdir().unwrap();
        let mut config = AnalyzeConfig::new(
            Location::Local(lake.path().to_path_buf()),
            Location::Local(out.path().to_path_buf()),
        );
        config.target_partitions = 4;
        let manifest = run_analysis(&config).await.unwrap();
        let mut files = json_files(&out.path().join("analysis"));
        // The manifest and the snapshot carry the run's id and time by nature; the snapshot's
        // results are the per-result files, compared below byte for byte.
        assert!(files.remove("_manifest.json").is_some());
        assert!(files.remove("_results.json").is_some());
        assert_eq!(files.len(), 20 + manifest.player_count as usize);
        runs.push(files);
    }
    for run in &runs[1..] {
        let differing: Vec<&String> = runs[0]
            .iter()
            .filter(|(name, bytes)| run.get(*name) != Some(*bytes))
            .map(|(name, _)| name)
            .collect();
        assert!(
            differing.is_empty(),
            "{} files differ between runs, e.g. {:?}",
            differing.len(),
            &differing[..differing.len().min(10)]
        );
    }
}

#[tokio::test]
async fn scheduler_runs_at_once_and_stops_on_shutdown() {
    let lake = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    write_file(
        lake.path(),
        "clickstream/dt=2024-11-25/hour=00/x.parquet",
        &[game("33333333-3333-4333-8333-333333333333", "kim", 2e9)],
    );
    let config = AnalyzeConfig::new(
        Location::Local(lake.path().to_path_buf()),
        Location::Local(out.path().to_path_buf()),
    );
    let manifest_path = out.path().join("analysis/_manifest.json");
    let watched = manifest_path.clone();
    // Shut down as soon as the first run's manifest exists (bounded: 30 s).
    let shutdown = async move {
        for _ in 0..300 {
            if watched.exists() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        coinking_analytics::run_every(config, std::time::Duration::from_secs(3600), shutdown),
    )
    .await
    .unwrap();
    assert_eq!(
        read(out.path(), "analysis/_manifest.json")["game_count"],
        json!(1)
    );
}
