//! The bad-input suite: every documented 4xx, and nothing reaches the sink. The cases are in
//! `bodies` (what a record body can get wrong) and `requests` (size, headers, method, batches).

use super::*;

mod bodies;
mod requests;

struct Case {
    name: &'static str,
    event: Value,
    status: u16,
    code: &'static str,
    /// Must appear in the message: the field and the rule.
    message: String,
}

fn case(
    name: &'static str,
    event: Value,
    status: u16,
    code: &'static str,
    message: impl Into<String>,
) -> Case {
    Case {
        name,
        event,
        status,
        code,
        message: message.into(),
    }
}

fn body_case(
    name: &'static str,
    body: &str,
    code: &'static str,
    message: impl Into<String>,
) -> Case {
    case(name, event_with_body(body), 400, code, message)
}

fn bad_inputs() -> Vec<Case> {
    let mut cases = bodies::bad_bodies();
    cases.extend(requests::bad_requests());
    cases
}

#[tokio::test]
async fn every_bad_input_gets_its_documented_4xx_and_nothing_reaches_the_sink() {
    let cases = bad_inputs();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let service = service();
        let (status, body, _) = call(&service, &case.event).await;
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        if status != case.status || code != case.code || !message.contains(&case.message) {
            failures.push(format!(
                "{}: expected {} {} containing {:?}, got {status} {body}",
                case.name, case.status, case.code, case.message
            ));
        }
        if !service.sink.calls().is_empty() {
            failures.push(format!("{}: the sink was called", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
