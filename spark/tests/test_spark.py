"""The job's Spark steps on tiny hand-made data, in a real local Spark session (the venv of
scripts/analytics-env.sh; Java 17): the top-10 % threshold is approxQuantile(balance, [0.9], 0.0),
a balance present in the data, so every game tied at it is in."""

import os

import pytest

from coinking_analytics import job


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = job.build_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def balances(spark, values):
    return spark.createDataFrame([(float(v),) for v in values], "balance double").repartition(2)


def top_of(spark, values):
    games = balances(spark, values)
    threshold = job.top_threshold(games)
    return threshold, games.where(games.balance >= threshold).count()


def test_players_tied_at_the_start_balance_are_all_in_the_top(spark):
    # Eight of ten never traded (1.6e9); interpolating would give 1.64e9 and a top of one game.
    assert top_of(spark, [1.0e9] + [1.6e9] * 8 + [2.0e9]) == (1.6e9, 9)


def test_the_top_of_one_two_ten_and_eleven_games_is_the_rank_ceil_nine_tenths_n_balance(spark):
    assert top_of(spark, [1.7e9]) == (1.7e9, 1)
    assert top_of(spark, [1.7e9, 1.5e9]) == (1.7e9, 1)
    assert top_of(spark, [1.6e9, 1.6e9]) == (1.6e9, 2)
    assert top_of(spark, [i * 1e8 for i in range(1, 11)]) == (9e8, 2)  # rank 9, not 9.1e8
    assert top_of(spark, [i * 1e8 for i in range(1, 12)]) == (10e8, 2)  # rank ceil(9.9) = 10
