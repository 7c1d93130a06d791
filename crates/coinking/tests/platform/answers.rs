//! How every answer looks: routes and errors from one handler, CORS on each, and requests
//! refused before routing.

use super::*;

#[test]
fn modern_routes_and_errors_are_served_by_the_same_handler() {
    let platform = start_platform();
    wait_until_serving(&platform, Duration::from_secs(10));

    let ticker = get(platform.address, "/tickers/KRW-BTC").unwrap();
    assert_eq!(ticker.status, 200, "{}", ticker.body);
    let body: Value = serde_json::from_str(&ticker.body).unwrap();
    assert_eq!(body["market"], "KRW-BTC");
    assert!(body["trade_price"].is_string(), "exact decimal text");
    let age: i64 = ticker.headers["x-data-age-ms"].parse().unwrap();
    assert!(
        age < 60_000,
        "replayed times are shifted to now: age {age} ms"
    );

    let candles = get(platform.address, "/tickers/KRW-BTC/candles?limit=5").unwrap();
    assert_eq!(candles.status, 200, "{}", candles.body);

    let bad = get(platform.address, "/tickers/KRW-BTC/candles?limit=0").unwrap();
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body,
        r#"{"error":{"code":"invalid_parameter","message":"limit: must be an integer from 1 to 1440"}}"#
    );
    let missing = get(platform.address, "/no/such/route").unwrap();
    assert_eq!(missing.status, 404);
    let wrong_method = send(platform.address, "POST", "/upbit_data", "").unwrap();
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
    assert_eq!(wrong_method.headers["allow"], "GET, OPTIONS");
}

#[test]
fn the_cors_preflight_is_answered_like_the_http_api_cors_configuration() {
    let platform = start_platform();
    wait_until_serving(&platform, Duration::from_secs(10));

    let preflight = send(
        platform.address,
        "OPTIONS",
        "/upbit_data",
        "Access-Control-Request-Method: GET\r\n",
    )
    .unwrap();

    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    assert!(preflight.headers["access-control-allow-methods"].contains("GET"));
    assert_eq!(preflight.headers["access-control-max-age"], "600");
}

#[test]
fn every_answer_carries_the_one_cors_policy_errors_and_404_included() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));

    for (method, path, status) in [
        ("GET", "/upbit_data", 200),
        ("GET", "/no/such/route", 404),
        ("POST", "/upbit_data", 405),
        ("GET", "/tickers/KRW-BTC/candles?limit=0", 400),
        ("POST", "/set_click_stream", 400),
        ("GET", "/get_user_analysis", 200),
    ] {
        let answer = send_from(platform.address, game, method, path, "").unwrap();
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert_eq!(
            answer
                .headers
                .get("access-control-allow-origin")
                .map(String::as_str),
            Some(game),
            "{method} {path} ({status})"
        );
        assert_eq!(answer.headers["vary"], "Origin", "{method} {path}");
        if status >= 400 {
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
        }
    }

    let stranger = send_from(
        platform.address,
        "https://evil.example",
        "GET",
        "/upbit_data",
        "",
    )
    .unwrap();
    assert_eq!(stranger.status, 200);
    assert!(
        stranger
            .headers
            .keys()
            .all(|name| !name.starts_with("access-control-")),
        "a disallowed origin gets no CORS headers: {:?}",
        stranger.headers
    );
}

#[test]
fn requests_refused_before_routing_get_the_json_error_and_cors_too() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));
    let origin = format!("Origin: {game}\r\n");
    let many_headers: String = (0..200).map(|i| format!("X-Header-{i}: a\r\n")).collect();
    let cases: [(&str, Vec<u8>, u16, &str); 7] = [
        (
            "a path that is not UTF-8",
            [
                &b"GET /users/\xff\xfe/analysis HTTP/1.1\r\nHost: x\r\n"[..],
                origin.as_bytes(),
                b"Connection: close\r\n\r\n",
            ]
            .concat(),
            400,
            "bad_request",
        ),
        (
            "a 70 KB URI",
            format!(
                "GET /upbit_data?x={} HTTP/1.1\r\nHost: x\r\n{origin}Connection: close\r\n\r\n",
                "a".repeat(70_000)
            )
            .into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            "a 500 KB header",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}X-Big: {}\r\nConnection: close\r\n\r\n",
                "a".repeat(500_000)
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "an 11 KB URI (API Gateway's 10,240-byte head limit)",
            format!(
                "GET /upbit_data?x={} HTTP/1.1\r\nHost: x\r\n{origin}Connection: close\r\n\r\n",
                "a".repeat(11_000)
            )
            .into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            "a 12 KB header (API Gateway's 10,240-byte head limit)",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}X-Big: {}\r\nConnection: close\r\n\r\n",
                "a".repeat(12_000)
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "200 headers",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}{many_headers}Connection: close\r\n\r\n"
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "a 7 MB body (refused on its declared length)",
            format!(
                "POST /set_click_stream HTTP/1.1\r\nHost: x\r\n{origin}Content-Type: application/json\r\nContent-Length: 7000000\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
            413,
            "body_too_large",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = send_raw(platform.address, &request);
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(
            answer.headers.get("content-type").map(String::as_str),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(
            answer
                .headers
                .get("access-control-allow-origin")
                .map(String::as_str),
            Some(game),
            "{what}: {:?}",
            answer.headers
        );
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
    }

    // Kept alive: a good request, then one hyper refuses, on the same connection.
    let mut stream = TcpStream::connect_timeout(&platform.address, Duration::from_secs(1)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}\r\n"
    )
    .unwrap();
    stream
        .write_all(
            &[
                &b"GET /upbit_data\xff HTTP/1.1\r\nHost: x\r\n"[..],
                origin.as_bytes(),
                b"\r\n",
            ]
            .concat(),
        )
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    // The second answer starts right after the first one's body (a JSON array).
    let second = 1 + text[1..].find("HTTP/1.1 ").unwrap();
    assert!(text.starts_with("HTTP/1.1 200 "), "{text:.200}");
    let refused = parse_answer(&raw[second..]);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.headers["access-control-allow-origin"], game);
    let body: Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
}

#[test]
fn every_route_that_takes_a_body_answers_its_preflight() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));

    for path in [
        "/set_click_stream",
        "/set_click_stream/batch",
        "/set_user_data",
        "/set_deeplearning",
    ] {
        let preflight = send_from(
            platform.address,
            game,
            "OPTIONS",
            path,
            "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n",
        )
        .unwrap();
        assert_eq!(preflight.status, 204, "{path}");
        assert_eq!(
            preflight.headers["access-control-allow-origin"], game,
            "{path}"
        );
        assert!(
            preflight.headers["access-control-allow-methods"].contains("POST"),
            "{path}"
        );
        assert!(
            preflight.headers["access-control-allow-headers"].contains("content-type"),
            "{path}"
        );
    }
}
