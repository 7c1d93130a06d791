#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::Mutex;

use std::time::Duration;

use coinking_core::market::MarketCode;

use super::*;
use crate::market_store::items;

/// A scripted `BatchWriteItem`. Using a fake is right here, and only here: no stand-in can
/// be made to return `UnprocessedItems` on demand (dynalite never throttles), and this is
/// the retry logic of our own code, not the service's behaviour, that is under test.
struct ScriptedSender {
    /// How many requests each successive call leaves unprocessed (the last ones sent).
    unprocessed_per_call: Mutex<VecDeque<usize>>,
    /// How many requests each call received.
    calls: Mutex<Vec<usize>>,
    /// The keys of the last call's requests.
    last_keys: Mutex<Vec<String>>,
}

impl ScriptedSender {
    fn new(script: &[usize]) -> Self {
        Self {
            unprocessed_per_call: Mutex::new(script.iter().copied().collect()),
            calls: Mutex::new(Vec::new()),
            last_keys: Mutex::new(Vec::new()),
        }
    }

    fn last_keys(&self) -> Vec<String> {
        self.last_keys.lock().unwrap().clone()
    }

    fn calls(&self) -> Vec<usize> {
        self.calls.lock().unwrap().clone()
    }
}

impl BatchSender for ScriptedSender {
    async fn send(&self, mut requests: Vec<WriteRequest>) -> Result<Vec<WriteRequest>, StoreError> {
        self.calls.lock().unwrap().push(requests.len());
        *self.last_keys.lock().unwrap() = requests.iter().map(describe_request).collect();
        let left = self
            .unprocessed_per_call
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(0)
            .min(requests.len());
        Ok(requests.split_off(requests.len() - left))
    }
}

fn requests(count: usize) -> Vec<WriteRequest> {
    (0..count)
        .map(|i| {
            let code = MarketCode::parse(&format!("KRW-M{i:03}")).unwrap();
            put_request(items::market_key(&code)).unwrap()
        })
        .collect()
}

fn quick_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
    }
}

#[tokio::test]
async fn unprocessed_items_are_resubmitted_until_all_are_written() {
    let sender = ScriptedSender::new(&[10, 3]);

    write_batch(&sender, "t", requests(25), &quick_policy(5))
        .await
        .unwrap();

    assert_eq!(sender.calls(), [25, 10, 3]);
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_names_the_items_not_written() {
    let sender = ScriptedSender::new(&[5, 4, 2, 2]);

    let error = write_batch(&sender, "coinking-market", requests(25), &quick_policy(3))
        .await
        .unwrap_err();

    assert_eq!(sender.calls(), [25, 5, 4]);
    assert!(error.is_retryable());
    match &error {
        StoreError::Unprocessed { attempts, keys, .. } => {
            assert_eq!(*attempts, 3);
            assert_eq!(keys, &["MARKET/KRW-M023", "MARKET/KRW-M024"]);
        }
        other => panic!("expected Unprocessed, got {other}"),
    }
    assert_eq!(
        error.to_string(),
        "dynamodb BatchWriteItem on table coinking-market: 2 item(s) still unprocessed \
             after 3 attempt(s): MARKET/KRW-M023, MARKET/KRW-M024"
    );
}

#[tokio::test]
async fn a_batch_written_at_once_is_one_call() {
    let sender = ScriptedSender::new(&[]);

    write_batch(&sender, "t", requests(25), &quick_policy(1))
        .await
        .unwrap();

    assert_eq!(sender.calls(), [25]);
}

#[tokio::test]
async fn chunks_go_in_order_one_after_the_other_with_a_concurrency_of_one() {
    let sender = ScriptedSender::new(&[]);

    write_in_chunks(&sender, "t", requests(60), &quick_policy(1), 1)
        .await
        .unwrap();

    assert_eq!(sender.calls(), [25, 25, 10]);
    let last = sender.last_keys();
    assert_eq!(last.last().map(String::as_str), Some("MARKET/KRW-M059"));
}
