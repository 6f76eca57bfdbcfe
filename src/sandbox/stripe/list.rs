//! Stripe's list endpoints: newest first, cursor pagination with `limit` (1 to 100, default 10),
//! `starting_after` / `ending_before` (object ids), and `created` filters (`created=T` or
//! `created[gt|gte|lt|lte]=T`). Official clients' auto-pagination follows `has_more` with
//! `starting_after` the last id of a page (or `ending_before` the first, going back).

use super::*;

/// One listed object: its id, creation time and JSON.
pub(super) struct Item {
    pub(super) id: String,
    pub(super) created: i64,
    pub(super) body: Value,
}

/// The parameters every list takes; `extra` are the list's own filters.
const LIST_PARAMS: &[&str] = &[
    "limit",
    "starting_after",
    "ending_before",
    "created",
    "created[gt]",
    "created[gte]",
    "created[lt]",
    "created[lte]",
];

fn integer(params: &Params, key: &str) -> Result<Option<i64>, ApiError> {
    param(params, key)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::invalid(
                    Some("parameter_invalid_integer"),
                    format!("Invalid integer: {v}"),
                    Some(key),
                )
            })
        })
        .transpose()
}

/// Checks a list request's parameters before anything is looked at.
pub(super) fn check_list_params(params: &Params, extra: &[&str]) -> Result<(), ApiError> {
    check_known(params, &[LIST_PARAMS, extra])?;
    if let Some(limit) = integer(params, "limit")?
        && !(1..=100).contains(&limit)
    {
        return Err(ApiError::invalid(
            Some("parameter_invalid_integer"),
            format!("Invalid limit: {limit}. This value must be between 1 and 100."),
            Some("limit"),
        ));
    }
    if param(params, "starting_after").is_some() && param(params, "ending_before").is_some() {
        return Err(ApiError::invalid(
            None,
            "You may only specify one of these parameters: starting_after, ending_before.",
            Some("ending_before"),
        ));
    }
    for key in &LIST_PARAMS[3..] {
        integer(params, key)?;
    }
    Ok(())
}

/// A page of `items` (newest first, already filtered by the list's own filters) as Stripe's
/// list object. `what` names the object kind for an unknown cursor.
pub(super) fn page(
    mut items: Vec<Item>,
    params: &Params,
    url: &str,
    what: &str,
) -> Result<Value, ApiError> {
    let bound = |key: &str| integer(params, key).ok().flatten();
    let exact = bound("created");
    let (gt, gte, lt, lte) = (
        bound("created[gt]"),
        bound("created[gte]"),
        bound("created[lt]"),
        bound("created[lte]"),
    );
    items.retain(|i| {
        exact.is_none_or(|t| i.created == t)
            && gt.is_none_or(|t| i.created > t)
            && gte.is_none_or(|t| i.created >= t)
            && lt.is_none_or(|t| i.created < t)
            && lte.is_none_or(|t| i.created <= t)
    });
    let limit = bound("limit").map_or(10, |l| l.clamp(1, 100) as usize);
    let cursor = |key: &str| -> Result<Option<usize>, ApiError> {
        let Some(id) = param(params, key) else {
            return Ok(None);
        };
        items
            .iter()
            .position(|i| i.id == id)
            .map(Some)
            .ok_or_else(|| ApiError::not_found(what, id, key))
    };
    let (data, has_more): (Vec<Value>, bool) = if let Some(at) = cursor("ending_before")? {
        // The `limit` objects just newer than the cursor, still newest first.
        let newer = &items[..at];
        let from = newer.len().saturating_sub(limit);
        (
            newer[from..].iter().map(|i| i.body.clone()).collect(),
            from > 0,
        )
    } else {
        let from = cursor("starting_after")?.map_or(0, |at| at + 1);
        let rest = &items[from.min(items.len())..];
        (
            rest.iter().take(limit).map(|i| i.body.clone()).collect(),
            rest.len() > limit,
        )
    };
    Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": url}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: i64) -> Vec<Item> {
        // Newest first: id `o{n}` created at `n`.
        (1..=n)
            .rev()
            .map(|k| Item {
                id: format!("o{k}"),
                created: k,
                body: json!(format!("o{k}")),
            })
            .collect()
    }

    fn ids(params: &[(&str, &str)]) -> (Vec<String>, bool) {
        let params: Params = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        check_list_params(&params, &[]).ok().unwrap();
        let page = page(items(5), &params, "/v1/x", "x").ok().unwrap();
        let data = page["data"].as_array().unwrap();
        (
            data.iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            page["has_more"].as_bool().unwrap(),
        )
    }

    #[test]
    fn cursors_walk_both_ways() {
        assert_eq!(
            ids(&[("limit", "2")]),
            (vec!["o5".into(), "o4".into()], true)
        );
        assert_eq!(
            ids(&[("limit", "2"), ("starting_after", "o4")]),
            (vec!["o3".into(), "o2".into()], true)
        );
        assert_eq!(
            ids(&[("limit", "2"), ("starting_after", "o2")]),
            (vec!["o1".into()], false)
        );
        assert_eq!(
            ids(&[("limit", "2"), ("ending_before", "o2")]),
            (vec!["o4".into(), "o3".into()], true)
        );
        assert_eq!(
            ids(&[("limit", "3"), ("ending_before", "o3")]),
            (vec!["o5".into(), "o4".into()], false)
        );
        assert_eq!(
            ids(&[("created[gte]", "2"), ("created[lt]", "4")]),
            (vec!["o3".into(), "o2".into()], false)
        );
    }

    #[test]
    fn bad_list_params_are_named() {
        let bad = |k: &str, v: &str| {
            let params = vec![(k.to_string(), v.to_string())];
            let err = check_list_params(&params, &[])
                .and_then(|()| page(items(1), &params, "/v1/x", "x").map(|_| ()))
                .err()
                .unwrap();
            err.body["error"]["param"].as_str().unwrap().to_string()
        };
        assert_eq!(bad("limit", "0"), "limit");
        assert_eq!(bad("limit", "101"), "limit");
        assert_eq!(bad("created[gte]", "soon"), "created[gte]");
        assert_eq!(bad("starting_after", "nope"), "starting_after");
        assert_eq!(bad("colour", "red"), "colour");
    }
}
