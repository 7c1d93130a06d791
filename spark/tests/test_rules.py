"""The Spark job's pure rules (the mirror of crates/analytics/src/results.rs), by hand."""

from coinking_analytics import job
from coinking_analytics.compare import same


def test_round_half_up_rounds_the_shortest_decimal_text_like_spark():
    # Stored just below their .xx5 text; Spark's round(x, 2) (and so the job) still rounds up,
    # where Python's round() gives 2.67, 1.0, 0.12.
    for value, rounded in [(2.675, 2.68), (1.005, 1.01), (0.125, 0.13), (8.345, 8.35), (99.995, 100.0),
                           (100 / 3, 33.33), (200 / 3, 66.67), (2.674, 2.67), (12.5, 12.5), (0.0, 0.0)]:
        assert job.round_half_up(value, 2) == rounded, value


def test_only_the_top_coin_ratio_is_rounded():
    stats = job.empty_stats()
    stats.update(coin_picks=[("KRW-BTC", 2), ("KRW-ETH", 1)])
    results = job.compute_results(stats, stats)
    assert [c["ratio"] for c in results["top_10_percent_coin_ratio"]] == [66.67, 33.33]
    assert results["coin_ratio"][1]["ratio"] == 1 / 3 * 100


def test_empty_population_has_every_key_with_its_shape():
    results = job.compute_results(job.empty_stats(), job.empty_stats())
    assert list(results) == job.COMPAT_KEYS + job.EXTRA_KEYS
    assert results["leverage_ratio"] == [{"leverage": level, "count": 0, "ratio": 0.0} for level in (1, 10, 100, 1000)]
    assert results["ai_recommend_1_ratio"] == [
        {"aiRecommend_1": True, "count": 0, "ratio": 0.0},
        {"aiRecommend_1": False, "count": 0, "ratio": 0.0},
    ]
    assert results["coin_ratio"] == [] and results["leverage_avg_balance"] == []
    assert results["avg_balance"] == {"avg_balance": 0.0}
    assert results["page_time_avg"] == {"avg_time_1": 0.0, "avg_time_2": 0.0, "avg_time_3": 0.0}


def test_groups_zero_fill_or_omit_and_coins_order_by_count_then_code():
    stats = job.empty_stats()
    stats.update(games=4, leverage=[(100, 1, 5.0), (1, 3, 2.0)], ai2=[(False, 4, 3.0)],
                 coin_picks=[("KRW-SOL", 1), ("KRW-BTC", 2), ("KRW-ETH", 1)])
    assert job.leverage_ratio(stats)[0] == {"leverage": 1, "count": 3, "ratio": 75.0}
    assert job.leverage_ratio(stats)[1] == {"leverage": 10, "count": 0, "ratio": 0.0}
    assert job.leverage_avg_balance(stats) == [{"leverage": 1, "avg_balance": 2.0}, {"leverage": 100, "avg_balance": 5.0}]
    assert job.ai_recommend_avg_balance(stats, 2) == [{"aiRecommend_2": False, "avg_balance": 3.0}]
    assert [c["coin"] for c in job.coin_ratio(stats)] == ["KRW-BTC", "KRW-ETH", "KRW-SOL"]
    assert job.coin_ratio(stats)[0]["ratio"] == 50.0


def test_compare_accepts_rounding_noise_and_rejects_real_differences():
    problems = []
    same("x", {"a": [1.0, True]}, {"a": [1.0 + 1e-12, True]}, problems)
    assert problems == []
    same("x", {"a": [1.0, True]}, {"a": [1.001, False]}, problems)
    assert len(problems) == 2
