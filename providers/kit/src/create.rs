//! The shape every create against an API has, written once:
//!
//! 1. [`make`]: the call that brings the object into being, retried while throttled; a
//!    failure that may have taken effect anyway (a 5xx, a timeout, a dropped connection:
//!    the answer was lost, not necessarily the object) looks the object up by its
//!    [`CreateToken`](crate::CreateToken) before calling again, so a lost answer never
//!    makes a second object;
//! 2. [`finish_or_undo`]: the calls that complete it (attributes set by other calls,
//!    attachments, waiting until it is visible); when one fails, the new object is
//!    deleted again, so that no object exists that the state will not know about; or
//!    [`finish_or_keep`], for APIs whose failed operations leave an object behind in a
//!    failed state (Azure's `provisioningState` `Failed`): that object is returned with
//!    the error ([`ProviderError::with_object`]), and the engine records it, tainted, for
//!    the next plan to replace — as Terraform does;
//! 3. [`visible`]: waiting until a read finds the new object (APIs are eventually
//!    consistent), which returns it as the create's result.

use std::future::Future;

use aic_lang::value::Value;
use aic_provider::{ErrorKind, ProviderError};

use crate::resource::{Context, CreateToken, Resource};
use crate::values::id_if_any;

/// Makes the creating call `call`: throttled calls (which did not run) are repeated after
/// [`Context::backoff`]'s delays; after a transient failure (which may have run), `find`
/// looks for the object first and its answer is taken when it finds one. Other errors, and
/// the last retryable one, are returned.
pub async fn make<T, C, F, Fut, G, GFut>(
    cx: &C,
    mut call: F,
    mut find: G,
) -> Result<T, ProviderError>
where
    C: Context,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
    G: FnMut() -> GFut,
    GFut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let backoff = cx.backoff();
    let mut attempt = 1;
    loop {
        let error = match call().await {
            Ok(made) => return Ok(made),
            Err(e) => e,
        };
        if error.kind() == ErrorKind::Transient {
            if let Some(made) = find().await? {
                return Ok(made);
            }
        }
        if !error.is_retryable() || attempt >= backoff.attempts {
            return Err(error);
        }
        tokio::time::sleep(backoff.delay(attempt, error.retry_after())).await;
        attempt += 1;
    }
}

/// The `id` of the object a create with `token` made, as `resource`'s
/// [`Resource::find_created`] finds it: the `find` of [`make`] for most types.
pub async fn created_id<C, R>(
    resource: &R,
    cx: &C,
    planned: &Value,
    token: &CreateToken,
) -> Result<Option<String>, ProviderError>
where
    C: Context,
    R: Resource<C> + ?Sized,
{
    Ok(resource
        .find_created(cx, planned, token)
        .await?
        .as_ref()
        .and_then(id_if_any))
}

/// Runs `finish` (the calls that complete a new object); when it fails, runs `undo` (which
/// deletes the object) and returns `finish`'s error. An `undo` that fails too is named in
/// the error's help, with the object to delete by hand.
pub async fn finish_or_undo<T, Fut, U, UFut>(
    finish: Fut,
    undo: U,
    object: &str,
) -> Result<T, ProviderError>
where
    Fut: Future<Output = Result<T, ProviderError>>,
    U: FnOnce() -> UFut,
    UFut: Future<Output = Result<(), ProviderError>>,
{
    match finish.await {
        Ok(v) => Ok(v),
        Err(e) => match undo().await {
            Ok(()) => Err(e),
            Err(undo_error) => {
                let help = format!(
                    "{} Deleting the half-made {object} failed too ({undo_error}); delete it \
                     by hand.",
                    e.help_text()
                );
                Err(e.with_help(help))
            }
        },
    }
}

/// Runs `finish` (the calls that complete a new object); when it fails, `find` looks the
/// object up: found, `finish`'s error is returned carrying it
/// ([`ProviderError::with_object`]: the engine records it tainted and the next plan replaces
/// it); not found, the error alone. When the lookup fails too, the object is unknown and
/// `undo` deletes it as [`finish_or_undo`] does, so that nothing is left that the state
/// will not know about.
pub async fn finish_or_keep<T, Fut, F, FFut, U, UFut>(
    finish: Fut,
    find: F,
    undo: U,
    object: &str,
) -> Result<T, ProviderError>
where
    Fut: Future<Output = Result<T, ProviderError>>,
    F: FnOnce() -> FFut,
    FFut: Future<Output = Result<Option<Value>, ProviderError>>,
    U: FnOnce() -> UFut,
    UFut: Future<Output = Result<(), ProviderError>>,
{
    match finish.await {
        Ok(v) => Ok(v),
        Err(e) => match find().await {
            Ok(Some(found)) => Err(e.with_object(found)),
            Ok(None) => Err(e),
            Err(_) => finish_or_undo(async { Err(e) }, undo, object).await,
        },
    }
}

/// Reads `prior` (an object with at least the new object's `id`) through `resource` until
/// the API finds it, and returns what it read.
pub async fn visible<C, R>(resource: &R, cx: &C, prior: &Value) -> Result<Value, ProviderError>
where
    C: Context,
    R: Resource<C> + ?Sized,
{
    let id = id_if_any(prior).unwrap_or_default();
    cx.timing()
        .waiter(format!("{} {id} to exist", resource.type_name()))
        .until(|| resource.read(cx, prior))
        .await
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::backoff::Backoff;

    struct Fast;

    impl Context for Fast {
        fn backoff(&self) -> Backoff {
            Backoff::fast()
        }
    }

    #[tokio::test]
    async fn a_lost_answer_is_found_instead_of_made_again() {
        let calls = Cell::new(0);
        let made = make(
            &Fast,
            || {
                calls.set(calls.get() + 1);
                async { Err::<String, _>(ProviderError::transient("connection reset")) }
            },
            || async { Ok(Some("vpc-1".to_owned())) },
        )
        .await;
        assert_eq!(made.ok().as_deref(), Some("vpc-1"));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn throttled_calls_are_repeated_without_looking() {
        let calls = Cell::new(0);
        let looked = Cell::new(0);
        let made = make(
            &Fast,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(ProviderError::throttled("slow down"))
                    } else {
                        Ok(n)
                    }
                }
            },
            || {
                looked.set(looked.get() + 1);
                async { Ok(None) }
            },
        )
        .await;
        assert_eq!(made.ok(), Some(3));
        assert_eq!(looked.get(), 0);
    }

    #[tokio::test]
    async fn other_errors_end_at_once() {
        let calls = Cell::new(0);
        let made: Result<(), _> = make(
            &Fast,
            || {
                calls.set(calls.get() + 1);
                async { Err(ProviderError::invalid_config("bad cidr")) }
            },
            || async { Ok(None) },
        )
        .await;
        assert_eq!(made.err().map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn a_failed_finish_keeps_the_object_it_finds() {
        let undone = Cell::new(false);
        let object = Value::object([("id", Value::string("vm-1"))]);
        let result: Result<(), _> = finish_or_keep(
            async { Err(ProviderError::other("provisioning failed")) },
            || async { Ok(Some(object.clone())) },
            || {
                undone.set(true);
                async { Ok(()) }
            },
            "VM vm-1",
        )
        .await;
        assert!(!undone.get());
        let err = result.err();
        assert_eq!(err.as_ref().and_then(|e| e.object()), Some(&object));
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Other));

        // Gone: the error alone.
        let result: Result<(), _> = finish_or_keep(
            async { Err(ProviderError::other("provisioning failed")) },
            || async { Ok(None) },
            || {
                undone.set(true);
                async { Ok(()) }
            },
            "VM vm-1",
        )
        .await;
        assert!(!undone.get());
        assert_eq!(result.err().map(|e| e.object().is_none()), Some(true));

        // Not even readable: deleted, as `finish_or_undo` does.
        let result: Result<(), _> = finish_or_keep(
            async { Err(ProviderError::other("provisioning failed")) },
            || async { Err(ProviderError::transient("500")) },
            || {
                undone.set(true);
                async { Ok(()) }
            },
            "VM vm-1",
        )
        .await;
        assert!(undone.get());
        assert_eq!(result.err().map(|e| e.object().is_none()), Some(true));
    }

    #[tokio::test]
    async fn a_failed_finish_undoes() {
        let undone = Cell::new(false);
        let result: Result<(), _> = finish_or_undo(
            async { Err(ProviderError::transient("500")) },
            || {
                undone.set(true);
                async { Ok(()) }
            },
            "VPC vpc-1",
        )
        .await;
        assert!(undone.get());
        assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::Transient));

        let result: Result<(), _> = finish_or_undo(
            async { Err(ProviderError::transient("500")) },
            || async { Err(ProviderError::conflict("in use")) },
            "VPC vpc-1",
        )
        .await;
        let help = result.err().map(|e| e.help_text()).unwrap_or_default();
        assert!(
            help.contains("Deleting the half-made VPC vpc-1 failed too"),
            "{help}"
        );
    }
}
