"""The Spark job's pure rules (the mirror of crates/analytics/src/results.rs), by hand."""

from coinking_analytics import job
from coinking_analytics.compare import same


def test_quantile_is_type_7_as_spark_computes_it():
    assert job.quantile_sorted([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == 46.0
    assert job.quantile_sorted([7.5], 0.9) == 7.5
    assert job.quantile_sorted([], 0.9) is None
    assert job.quantile_sorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9], 0.9) == 9


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
