//! The route table of the local platform: the same routes as template.yaml's HTTP API, each
//! bound to the very handler function its Lambda runs.
//!
//! Adding a Lambda's route is one entry in [`route_table`] (plus its `Deps` built once in
//! [`Functions`]), e.g. `Route::new("POST", "/set_click_stream", "post-clickstream",
//! functions.post_clickstream.clone())`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use coinking_adapters::leaderboard::{AffiliationReader, RankingReader, ScoreWriter};
use coinking_adapters::market_store::{
    CandleReader, CatalogReader, HintReader, HintWriter, TickerReader,
};
use coinking_click_sink::ClickSink;
use get_user_analysis::AnalysisReader;
use lambda_http::{Body, Request, Response};

/// A Lambda handler as the platform calls it: a request in, a response out (handlers turn
/// every failure into an HTTP answer themselves).
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
pub type LambdaHandler = Arc<dyn Fn(Request) -> HandlerFuture + Send + Sync>;

/// Every function's handler, with its dependencies built once at start.
#[derive(Clone)]
pub struct Functions {
    pub get_ticker: LambdaHandler,
    pub post_clickstream: LambdaHandler,
    pub get_user_analysis: LambdaHandler,
    pub leaderboard: LambdaHandler,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Functions").finish_non_exhaustive()
    }
}

impl Functions {
    pub fn new<S, C, R, L, K>(
        get_ticker: get_ticker::Deps<S>,
        post_clickstream: post_clickstream::Service<C>,
        get_user_analysis: get_user_analysis::Deps<R>,
        leaderboard: leaderboard::Deps<L, K>,
    ) -> Self
    where
        S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter + 'static,
        C: ClickSink + 'static,
        R: AnalysisReader + 'static,
        L: ScoreWriter + RankingReader + AffiliationReader + 'static,
        K: CandleReader + 'static,
    {
        let leaderboard = Arc::new(leaderboard);
        let get_ticker = Arc::new(get_ticker);
        let post_clickstream = Arc::new(post_clickstream);
        let get_user_analysis = Arc::new(get_user_analysis);
        Self {
            get_ticker: Arc::new(move |request| {
                let deps = Arc::clone(&get_ticker);
                Box::pin(async move { get_ticker::handle(&deps, request).await })
            }),
            post_clickstream: Arc::new(move |request| {
                let service = Arc::clone(&post_clickstream);
                Box::pin(async move { post_clickstream::handle(&service, request).await })
            }),
            get_user_analysis: Arc::new(move |request| {
                let deps = Arc::clone(&get_user_analysis);
                Box::pin(async move { get_user_analysis::handler(&deps, request).await })
            }),
            leaderboard: Arc::new(move |request| {
                let deps = Arc::clone(&leaderboard);
                Box::pin(async move { leaderboard::handle(&deps, request).await })
            }),
        }
    }
}

/// The HTTP API's routes, exactly template.yaml's `Events: … Type: HttpApi` (method and path).
/// No two templates overlap, so their order does not matter. `OPTIONS` preflights are answered
/// by the server as the HTTP API's `CorsConfiguration` answers them on AWS.
pub fn route_table(functions: &Functions) -> Vec<Route> {
    let get_ticker = &functions.get_ticker;
    let post_clickstream = &functions.post_clickstream;
    let get_user_analysis = &functions.get_user_analysis;
    let leaderboard = &functions.leaderboard;
    vec![
        Route::new("GET", "/upbit_data", "get-ticker", get_ticker),
        Route::new("GET", "/markets", "get-ticker", get_ticker),
        Route::new("GET", "/tickers", "get-ticker", get_ticker),
        Route::new("GET", "/tickers/{market}", "get-ticker", get_ticker),
        Route::new("GET", "/tickers/{market}/candles", "get-ticker", get_ticker),
        Route::new("GET", "/get_deeplearning", "get-ticker", get_ticker),
        Route::new("POST", "/set_deeplearning", "get-ticker", get_ticker),
        Route::new(
            "POST",
            "/set_click_stream",
            "post-clickstream",
            post_clickstream,
        ),
        Route::new(
            "POST",
            "/set_click_stream/batch",
            "post-clickstream",
            post_clickstream,
        ),
        Route::new(
            "GET",
            "/get_user_analysis",
            "get-user-analysis",
            get_user_analysis,
        ),
        Route::new(
            "GET",
            "/users/{userName}/analysis",
            "get-user-analysis",
            get_user_analysis,
        ),
        Route::new("POST", "/set_user_data", "leaderboard", leaderboard),
        Route::new("GET", "/get_user_data", "leaderboard", leaderboard),
        Route::new("GET", "/get_affiliation_list", "leaderboard", leaderboard),
        Route::new("GET", "/get_the_best_user_data", "leaderboard", leaderboard),
    ]
}

/// One route: method (`ANY` or one method), path template with `{name}` segments, the function.
#[derive(Clone)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    pub handler: LambdaHandler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.function)
    }
}

/// A request matched to a route: API Gateway's `routeKey` and `pathParameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub route_key: String,
    pub path_parameters: HashMap<String, String>,
}

impl Route {
    pub fn new(
        method: &'static str,
        path: &'static str,
        function: &'static str,
        handler: &LambdaHandler,
    ) -> Self {
        Self {
            method,
            path,
            function,
            handler: Arc::clone(handler),
        }
    }

    /// Matches like API Gateway: same number of segments, literal segments equal, each
    /// `{name}` taking one non-empty segment.
    pub fn matches(&self, method: &str, path: &str) -> Option<Matched> {
        if self.method != "ANY" && self.method != method {
            return None;
        }
        let mut template = self.path.split('/');
        let mut actual = path.split('/');
        let mut path_parameters = HashMap::new();
        loop {
            match (template.next(), actual.next()) {
                (None, None) => break,
                (Some(expected), Some(segment)) => {
                    let parameter = expected
                        .strip_prefix('{')
                        .and_then(|rest| rest.strip_suffix('}'));
                    match parameter {
                        Some(name) if !segment.is_empty() => {
                            path_parameters.insert(name.to_owned(), segment.to_owned());
                        }
                        Some(_) => return None,
                        None if expected == segment => {}
                        None => return None,
                    }
                }
                _ => return None,
            }
        }
        Some(Matched {
            route_key: format!("{} {}", self.method, self.path),
            path_parameters,
        })
    }
}

/// The first route matching `method` and `path`.
pub fn find<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<(&'a Route, Matched)> {
    routes
        .iter()
        .find_map(|route| route.matches(method, path).map(|matched| (route, matched)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn noop() -> LambdaHandler {
        Arc::new(|_| Box::pin(async { Response::new(Body::Empty) }))
    }

    #[test]
    fn templates_bind_path_parameters_like_api_gateway() {
        let handler = noop();
        let route = Route::new("ANY", "/tickers/{market}/candles", "get-ticker", &handler);

        let matched = route.matches("GET", "/tickers/KRW-BTC/candles").unwrap();

        assert_eq!(matched.route_key, "ANY /tickers/{market}/candles");
        assert_eq!(matched.path_parameters["market"], "KRW-BTC");
        assert!(route.matches("GET", "/tickers//candles").is_none());
        assert!(route.matches("GET", "/tickers/KRW-BTC").is_none());
        assert!(route.matches("GET", "/tickers/KRW-BTC/candles/x").is_none());
    }

    #[test]
    fn a_method_route_matches_only_that_method() {
        let handler = noop();
        let route = Route::new("POST", "/set_click_stream", "post-clickstream", &handler);
        assert!(route.matches("POST", "/set_click_stream").is_some());
        assert!(route.matches("GET", "/set_click_stream").is_none());
    }
}
