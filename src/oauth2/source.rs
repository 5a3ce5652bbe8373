//! The token cache: one token, refreshed before it expires, one fetch at a time.
//!
//! A fetch runs on the thread that asks for a token first (`token_blocking`) or on a thread
//! of its own (`token`, so that no executor thread blocks on HTTP and Tokio and async-std
//! work alike). Whoever asks while a fetch is in flight waits for that fetch: on the condvar
//! (blocking) or with its waker registered (async). A token fetched once an hour makes the
//! thread's cost nothing next to the request.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, Condvar, Mutex, MutexGuard},
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use super::{grant::Grant, Error};

/// An OAuth2 access token and when it expires.
///
/// Its `Debug` form never shows the secret.
///
/// ```
/// use std::time::Duration;
/// use letterhead::oauth2::AccessToken;
///
/// let token = AccessToken::new("eyJ0eXAi...", Some(Duration::from_secs(3600)));
/// assert_eq!(token.secret(), "eyJ0eXAi...");
/// assert!(token.expires_at().is_some());
/// assert!(!format!("{token:?}").contains("eyJ"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    secret: String,
    obtained: Instant,
    expires_at: Option<Instant>,
}

impl AccessToken {
    /// A token that expires `expires_in` from now (`None`: its expiry is not known; it is
    /// used until a server refuses it; so is one too far away for an `Instant`).
    pub fn new(secret: impl Into<String>, expires_in: Option<Duration>) -> AccessToken {
        let obtained = Instant::now();
        AccessToken {
            secret: secret.into(),
            obtained,
            expires_at: expires_in.and_then(|d| obtained.checked_add(d)),
        }
    }

    /// The token itself, as sent in `auth=Bearer <token>`.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When it expires, if known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Whether it is still good at `now` with `margin` to spare: the margin is at most half
    /// the token's lifetime, so that a token that lives 10 seconds is used for 5.
    fn fresh(&self, now: Instant, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => {
                let margin = margin.min(at.saturating_duration_since(self.obtained) / 2);
                now + margin < at
            }
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The default refresh margin: a token is replaced once less than this is left of it.
const DEFAULT_MARGIN: Duration = Duration::from_secs(300);

/// Access tokens for SMTP AUTH: from a [`Grant`], cached, refreshed before they expire, one
/// fetch at a time. Clones share the cache.
///
/// A token counts as due when less than the margin is left of it (5 minutes by default,
/// never more than half the token's lifetime). Whoever asks for a token while a fetch is in
/// flight waits for that fetch and gets its token, or its error; the next ask after an
/// error fetches again. Clones share the cache and the setting.
///
/// ```
/// use letterhead::oauth2::TokenSource;
///
/// let tokens = TokenSource::fixed("ya29.a0Af...");
/// assert_eq!(tokens.token_blocking()?.secret(), "ya29.a0Af...");
/// # Ok::<(), letterhead::oauth2::Error>(())
/// ```
#[derive(Clone)]
pub struct TokenSource {
    shared: Arc<Shared>,
}

struct Shared {
    grant: Box<dyn Grant>,
    state: Mutex<State>,
    done: Condvar,
}

struct State {
    margin: Duration,
    token: Option<AccessToken>,
    /// A fetch is in flight.
    fetching: bool,
    /// How many fetches have ended; `outcome` is the last one's.
    ended: u64,
    outcome: Option<Result<AccessToken, Error>>,
    wakers: Vec<Waker>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("TokenSource")
            .field("grant", &self.shared.grant)
            .field("margin", &state.margin)
            .field("token", &state.token)
            .field("fetching", &state.fetching)
            .finish()
    }
}

/// A grant that hands out one token, forever.
#[derive(Debug)]
struct Fixed(AccessToken);

impl Grant for Fixed {
    fn fetch(&self) -> Result<AccessToken, Error> {
        Ok(self.0.clone())
    }
}

impl TokenSource {
    /// Tokens from `grant`: [`ClientCredentials`](super::ClientCredentials),
    /// [`RefreshToken`](super::RefreshToken) or the application's own [`Grant`].
    ///
    /// ```
    /// use letterhead::oauth2::{RefreshToken, TokenSource};
    ///
    /// let tokens = TokenSource::new(RefreshToken::google(
    ///     "1234.apps.googleusercontent.com",
    ///     "client-secret",
    ///     "1//0g-refresh-token",
    /// )?);
    /// # let _ = tokens;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn new(grant: impl Grant) -> TokenSource {
        TokenSource {
            shared: Arc::new(Shared {
                grant: Box::new(grant),
                state: Mutex::new(State {
                    margin: DEFAULT_MARGIN,
                    token: None,
                    fetching: false,
                    ended: 0,
                    outcome: None,
                    wakers: Vec::new(),
                }),
                done: Condvar::new(),
            }),
        }
    }

    /// One token that never changes (lettre's `Mechanism::Xoauth2` with the token as the
    /// password): for a token the application gets and renews by itself.
    ///
    /// ```
    /// let tokens = letterhead::oauth2::TokenSource::fixed("ya29.a0Af...");
    /// # let _ = tokens;
    /// ```
    pub fn fixed(token: impl Into<String>) -> TokenSource {
        TokenSource::new(Fixed(AccessToken::new(token, None)))
    }

    /// Replaces tokens once less than `margin` is left of them (5 minutes by default; never
    /// more than half a token's lifetime). Clones share the setting.
    ///
    /// ```
    /// use std::time::Duration;
    /// use letterhead::oauth2::TokenSource;
    ///
    /// let tokens = TokenSource::fixed("t").margin(Duration::from_secs(60));
    /// # let _ = tokens;
    /// ```
    pub fn margin(self, margin: Duration) -> TokenSource {
        self.lock().margin = margin;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A current token, waiting on this thread for a fetch when one is due: for the
    /// blocking [`SmtpTransport`](crate::SmtpTransport) and code without an executor.
    pub fn token_blocking(&self) -> Result<AccessToken, Error> {
        let mut state = self.lock();
        loop {
            if let Some(token) = self.cached(&state) {
                return Ok(token);
            }
            if state.fetching {
                let ended = state.ended;
                while state.ended == ended {
                    state = self
                        .shared
                        .done
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
                // That fetch's token, fresh or not: a grant whose tokens are born due must
                // not make every ask fetch again and again.
                if let Some(outcome) = &state.outcome {
                    return outcome.clone();
                }
                continue;
            }
            state.fetching = true;
            drop(state);
            return self.fetch();
        }
    }

    /// A current token; when one is due the fetch runs on a thread of its own, so the
    /// executor is never blocked: for the async transports.
    pub fn token(&self) -> TokenFuture {
        TokenFuture {
            source: self.clone(),
            waiting_for: None,
        }
    }

    /// Drops `token` from the cache if it is still the cached one: a server refused it, so
    /// the next ask fetches a new one.
    pub(crate) fn refused(&self, token: &AccessToken) {
        let mut state = self.lock();
        if state.token.as_ref() == Some(token) {
            state.token = None;
        }
    }

    fn cached(&self, state: &State) -> Option<AccessToken> {
        state
            .token
            .as_ref()
            .filter(|t| t.fresh(Instant::now(), state.margin))
            .cloned()
    }

    /// Runs the grant (the caller has set `fetching`) and ends the fetch with its outcome. A
    /// grant that panics ends it with an error, so that nobody waits for it forever.
    fn fetch(&self) -> Result<AccessToken, Error> {
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.shared.grant.fetch()))
                .unwrap_or_else(|_| Err(Error::other("the token grant panicked")))
                .and_then(|token| {
                    // An application's grant too: nothing else can go after `Bearer ` (and
                    // into the SASL message), so such a token is never cached.
                    if super::is_b64token(token.secret()) {
                        Ok(token)
                    } else {
                        Err(Error::other(
                            "the grant's access token has characters a Bearer token cannot \
                             have (RFC 6750 b64token)",
                        ))
                    }
                });
        self.finish(outcome.clone());
        outcome
    }

    fn finish(&self, outcome: Result<AccessToken, Error>) {
        let wakers = {
            let mut state = self.lock();
            if let Ok(token) = &outcome {
                state.token = Some(token.clone());
            }
            state.outcome = Some(outcome);
            state.fetching = false;
            state.ended += 1;
            std::mem::take(&mut state.wakers)
        };
        self.shared.done.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

/// The future of [`TokenSource::token`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct TokenFuture {
    source: TokenSource,
    /// The count of ended fetches when this future began waiting for one.
    waiting_for: Option<u64>,
}

impl Future for TokenFuture {
    type Output = Result<AccessToken, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let source = self.source.clone();
        let mut state = source.lock();
        if let Some(ended) = self.waiting_for {
            if state.ended != ended {
                self.waiting_for = None;
                if let Some(outcome) = &state.outcome {
                    return Poll::Ready(outcome.clone());
                }
            }
        }
        if let Some(token) = source.cached(&state) {
            return Poll::Ready(Ok(token));
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        self.waiting_for = Some(state.ended);
        if !state.fetching {
            state.fetching = true;
            drop(state);
            let fetcher = source.clone();
            let spawned = std::thread::Builder::new()
                .name("letterhead-oauth2".into())
                // The outcome reaches the waiters through the state.
                .spawn(move || drop(fetcher.fetch()));
            if let Err(e) = spawned {
                source.finish(Err(Error::other(format_args!(
                    "no thread for the token fetch: {e}"
                ))));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        thread,
    };

    use super::*;

    /// Tokens `t1`, `t2`, ... living `lifetime`, after `delay`; the fetches listed in `fail`
    /// (1-based) fail, those in `panic` panic.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicUsize,
        lifetime: Option<Duration>,
        delay: Duration,
        fail: Vec<usize>,
        panic: Vec<usize>,
    }

    impl Counting {
        fn living(lifetime: Duration) -> Counting {
            Counting {
                lifetime: Some(lifetime),
                ..Counting::default()
            }
        }
    }

    impl Grant for Counting {
        fn fetch(&self) -> Result<AccessToken, Error> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            thread::sleep(self.delay);
            if self.panic.contains(&n) {
                panic!("grant panics on fetch {n}");
            }
            if self.fail.contains(&n) {
                return Err(Error::other(format_args!("fetch {n} fails")));
            }
            Ok(AccessToken::new(format!("t{n}"), self.lifetime))
        }
    }

    fn source(grant: Counting) -> (TokenSource, Arc<Counting>) {
        let grant = Arc::new(grant);
        (TokenSource::new(grant.clone()), grant)
    }

    /// One executor thread, with timers.
    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    fn fetches(grant: &Counting) -> usize {
        grant.fetches.load(Ordering::SeqCst)
    }

    #[test]
    fn a_token_is_cached_until_its_margin() {
        let (tokens, grant) = source(Counting::living(Duration::from_secs(3600)));
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t1");
        assert_eq!(tokens.clone().token_blocking().unwrap().secret(), "t1");
        assert_eq!(fetches(&grant), 1);

        // 10 s tokens: the 5-minute margin is capped at half the lifetime, so a new token is
        // fresh (else every ask would fetch).
        let (tokens, grant) = source(Counting::living(Duration::from_secs(10)));
        tokens.token_blocking().unwrap();
        tokens.token_blocking().unwrap();
        assert_eq!(fetches(&grant), 1);

        // Tokens born due are fetched on every ask, one after another.
        let (tokens, grant) = source(Counting::living(Duration::ZERO));
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t1");
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t2");
        assert_eq!(fetches(&grant), 2);
    }

    #[test]
    fn a_short_margin_keeps_a_token_longer() {
        let (tokens, grant) = source(Counting::living(Duration::from_secs(2)));
        let tokens = tokens.margin(Duration::from_millis(500));
        let start = Instant::now();
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t1");
        thread::sleep(Duration::from_millis(300));
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t1");
        // Under 500 ms left: due.
        thread::sleep(Duration::from_millis(1600).saturating_sub(start.elapsed()));
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t2");
        assert_eq!(fetches(&grant), 2);
    }

    #[test]
    fn concurrent_askers_share_one_fetch() {
        let (tokens, grant) = source(Counting {
            delay: Duration::from_millis(200),
            ..Counting::living(Duration::from_secs(3600))
        });
        let got: Vec<String> = thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| tokens.token_blocking().unwrap().secret().to_owned()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(got.iter().all(|t| t == "t1"), "{got:?}");
        assert_eq!(fetches(&grant), 1);
    }

    #[test]
    fn async_askers_share_one_fetch_off_the_executor() {
        let (tokens, grant) = source(Counting {
            delay: Duration::from_secs(1),
            ..Counting::living(Duration::from_secs(3600))
        });
        // One executor thread: the fetch must not block it, or the timer below could not
        // run while it is in flight.
        let runtime = current_thread();
        let (got, ticked) = runtime.block_on(async {
            let tasks: Vec<_> = (0..16).map(|_| tokio::spawn(tokens.token())).collect();
            let started = Instant::now();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let ticked = started.elapsed();
            let mut got = Vec::new();
            for task in tasks {
                got.push(task.await.unwrap().unwrap().secret().to_owned());
            }
            (got, ticked)
        });
        assert!(got.iter().all(|t| t == "t1"), "{got:?}");
        assert_eq!(fetches(&grant), 1);
        assert!(
            ticked < Duration::from_millis(180),
            "the executor was blocked: {ticked:?}"
        );
    }

    #[test]
    fn an_error_reaches_every_waiter_and_the_next_ask_fetches_again() {
        let (tokens, grant) = source(Counting {
            delay: Duration::from_millis(200),
            fail: vec![1],
            ..Counting::living(Duration::from_secs(3600))
        });
        let got: Vec<Result<AccessToken, Error>> = thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| tokens.token_blocking()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for outcome in got {
            assert_eq!(outcome.unwrap_err().to_string(), "fetch 1 fails");
        }
        assert_eq!(fetches(&grant), 1);
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t2");
    }

    #[test]
    fn a_panicking_grant_is_an_error_not_a_hang() {
        let (tokens, grant) = source(Counting {
            panic: vec![1, 2],
            ..Counting::living(Duration::from_secs(3600))
        });
        let err = tokens.token_blocking().unwrap_err();
        assert_eq!(err.to_string(), "the token grant panicked");
        let runtime = current_thread();
        let outcome = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), tokens.token()).await
        });
        assert_eq!(
            outcome.expect("no hang").unwrap_err().to_string(),
            "the token grant panicked"
        );
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t3");
        assert_eq!(fetches(&grant), 3);
    }

    #[test]
    fn a_refused_token_leaves_the_cache_but_a_newer_one_stays() {
        let (tokens, grant) = source(Counting::living(Duration::from_secs(3600)));
        let first = tokens.token_blocking().unwrap();
        tokens.refused(&first);
        let second = tokens.token_blocking().unwrap();
        assert_eq!(second.secret(), "t2");
        // A late refusal of the first token (another connection's) keeps the second.
        tokens.refused(&first);
        assert_eq!(tokens.token_blocking().unwrap().secret(), "t2");
        assert_eq!(fetches(&grant), 2);
    }

    #[test]
    fn a_token_that_cannot_be_sent_is_an_error_not_cached() {
        let tokens = TokenSource::fixed("a b");
        let e = tokens.token_blocking().unwrap_err();
        assert!(e.to_string().contains("b64token"), "{e}");
        assert!(tokens.lock().token.is_none());
        // An expiry past what an Instant holds is no expiry, not a panic.
        let far = AccessToken::new("t", Some(Duration::MAX));
        assert_eq!(far.expires_at(), None);
    }

    #[test]
    fn debug_shows_no_secret() {
        let tokens = TokenSource::fixed("ya29.secret-token");
        tokens.token_blocking().unwrap();
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
