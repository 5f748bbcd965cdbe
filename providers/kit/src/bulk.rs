//! Bulk reads: refreshing many objects of one type with as few calls as the API allows.
//!
//! - [`read_by_ids`]: describe by id, at most `per_call` ids per call (EC2's filters take
//!   200 values), each call paged by the caller;
//! - [`read_by_listing`]: list every object once and pick the wanted ones (APIs without an
//!   id filter: the clusters of a location, the VMs of a resource group);
//! - [`all_pages`]: follow page tokens (`nextToken`, `nextPageToken`, `nextLink`) to the end;
//! - [`each`]: one read per object, for APIs without bulk reads; [`as_recorded`] for
//!   objects that exist only in the state.
//!
//! Objects that are gone are simply missing from an answer: their result is `None`, not
//! an error, so one deleted object never fails the refresh of the others. A failed call
//! fails only the objects it was asked about.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use aic_lang::value::Value;
use aic_provider::ProviderError;

use crate::values::id_if_any;

/// One result per prior.
pub type Results = Vec<Result<Option<Value>, ProviderError>>;

/// Reads `priors` by their ids: `describe` gets at most `per_call` distinct ids at a time
/// and returns the objects it found, with their ids. A prior without an id (a create whose
/// answer was lost) reads as gone.
pub async fn read_by_ids<F, Fut>(priors: &[Value], per_call: usize, mut describe: F) -> Results
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<(String, Value)>, ProviderError>>,
{
    let ids: Vec<Option<String>> = priors.iter().map(id_if_any).collect();
    let mut seen = HashSet::new();
    let wanted: Vec<String> = ids
        .iter()
        .flatten()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect();
    let mut found: HashMap<String, Value> = HashMap::new();
    let mut failed: HashMap<String, ProviderError> = HashMap::new();
    for chunk in wanted.chunks(per_call.max(1)) {
        match describe(chunk.to_vec()).await {
            Ok(objects) => found.extend(objects),
            Err(e) => {
                for id in chunk {
                    failed.insert(id.clone(), e.clone());
                }
            }
        }
    }
    ids.into_iter()
        .map(|id| match id {
            None => Ok(None),
            Some(id) => match failed.get(&id) {
                Some(e) => Err(e.clone()),
                None => Ok(found.get(&id).cloned()),
            },
        })
        .collect()
}

/// Reads `priors` from one listing of every object (`list` runs only when some prior has
/// an id).
pub async fn read_by_listing<Fut>(priors: &[Value], list: Fut) -> Results
where
    Fut: Future<Output = Result<Vec<(String, Value)>, ProviderError>>,
{
    let mut list = Some(list);
    read_by_ids(priors, usize::MAX, |_| {
        let listing = list.take();
        async move {
            match listing {
                Some(listing) => listing.await,
                None => Ok(Vec::new()),
            }
        }
    })
    .await
}

/// Reads each prior with `read`, one after the other.
pub async fn each<'a, F, Fut>(priors: &'a [Value], mut read: F) -> Results
where
    F: FnMut(&'a Value) -> Fut,
    Fut: Future<Output = Result<Option<Value>, ProviderError>>,
{
    let mut results = Vec::with_capacity(priors.len());
    for prior in priors {
        results.push(read(prior).await);
    }
    results
}

/// The read of objects that exist only in the state: each is as recorded.
pub fn as_recorded(priors: &[Value]) -> Results {
    priors.iter().map(|prior| Ok(Some(prior.clone()))).collect()
}

/// The first result of a bulk read of one prior.
pub fn first(results: Results) -> Result<Option<Value>, ProviderError> {
    results.into_iter().next().unwrap_or(Ok(None))
}

/// Every item of a paged listing: `fetch` gets the page token (`None` first) and returns
/// a page and the next token; the listing ends at a missing or empty token. A token seen
/// before ends it too (an API answering in a loop would never finish otherwise).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    let mut seen = HashSet::new();
    loop {
        let (page, next) = fetch(token.take()).await?;
        items.extend(page);
        match next.filter(|t| !t.is_empty()) {
            Some(next) if seen.insert(next.clone()) => token = Some(next),
            _ => return Ok(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::values::by_id;

    #[tokio::test]
    async fn reads_in_chunks_and_maps_back_in_order() {
        let calls = RefCell::new(Vec::new());
        let priors: Vec<Value> = ["a", "b", "c", "a", "gone"]
            .iter()
            .map(|id| by_id(id))
            .chain([Value::object([("name", Value::string("lost"))])])
            .collect();
        let results = read_by_ids(&priors, 2, |ids| {
            calls.borrow_mut().push(ids.clone());
            async move {
                Ok(ids
                    .into_iter()
                    .filter(|id| id != "gone")
                    .map(|id| (id.clone(), Value::object([("id", Value::string(id))])))
                    .collect())
            }
        })
        .await;
        assert_eq!(
            *calls.borrow(),
            vec![
                vec!["a".to_owned(), "b".to_owned()],
                vec!["c".to_owned(), "gone".to_owned()]
            ]
        );
        let ids: Vec<Option<String>> = results
            .into_iter()
            .map(|r| r.ok().flatten().and_then(|v| id_if_any(&v)))
            .collect();
        assert_eq!(
            ids,
            vec![
                Some("a".into()),
                Some("b".into()),
                Some("c".into()),
                Some("a".into()),
                None,
                None
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_call_fails_only_its_objects() {
        let priors = vec![by_id("a"), by_id("b")];
        let results = read_by_ids(&priors, 1, |ids| async move {
            if ids == ["a"] {
                Err(ProviderError::transient("boom"))
            } else {
                Ok(vec![("b".to_owned(), by_id("b"))])
            }
        })
        .await;
        assert!(results[0].is_err());
        assert_eq!(
            results[1].as_ref().ok().cloned().flatten(),
            Some(by_id("b"))
        );
    }

    #[tokio::test]
    async fn listing_runs_once() {
        let priors = vec![by_id("a"), by_id("x")];
        let results = read_by_listing(&priors, async {
            Ok(vec![
                ("a".to_owned(), by_id("a")),
                ("b".to_owned(), by_id("b")),
            ])
        })
        .await;
        assert_eq!(results.len(), 2);
        assert!(matches!(results[1], Ok(None)));
    }

    #[tokio::test]
    async fn pages_follow_tokens_and_stop_on_a_loop() {
        let items = all_pages(|token| async move {
            Ok(match token.as_deref() {
                None => (vec![1], Some("p2".to_owned())),
                Some("p2") => (vec![2], Some("p3".to_owned())),
                _ => (vec![3], Some(String::new())),
            })
        })
        .await;
        assert_eq!(items.ok(), Some(vec![1, 2, 3]));
        let looping = all_pages(|_| async { Ok((vec![0], Some("same".to_owned()))) }).await;
        assert_eq!(looping.ok(), Some(vec![0, 0]));
    }
}
