//! Stripe's form encoding, read the way Stripe reads it, and written back in one canonical form
//! the rest of the fake matches against.
//!
//! Stripe takes `application/x-www-form-urlencoded` bodies (and GET query strings) with nested
//! keys: `metadata[k]=v`, arrays as `a[]=x` (curl, payorch's adapter) or `a[0]=x` (Stripe's
//! official libraries), and arrays of hashes as `a[0][b]=x`. Every encoding decodes to the same
//! tree; [`canonical`] flattens that tree back to one spelling per parameter, so
//! `payment_method_types[0]=card` and `payment_method_types[]=card` are the same parameter
//! (`payment_method_types[]`), and an idempotent replay compares equal whichever encoding each
//! attempt used. Array indices are renumbered from 0 in index order. No crate does this
//! flattening (`serde_qs` decodes into typed structs, and the fake validates parameter names,
//! not types), hence the few lines here.

use super::wire::{ApiError, Params};

/// One step of a parameter's key: `a[b][0][]` is `a`, `b`, `0`, `[]`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Name(String),
    Index(usize),
    /// `[]`: appends a new element.
    Push,
}

enum Node {
    Leaf(String),
    Branch(Vec<(Seg, Node)>),
}

fn segments(key: &str) -> Option<Vec<Seg>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => key.split_at(i),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut segs = vec![Seg::Name(head.to_string())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        let seg = &inner[..end];
        segs.push(if seg.is_empty() {
            Seg::Push
        } else if seg.bytes().all(|b| b.is_ascii_digit()) {
            Seg::Index(seg.parse().ok()?)
        } else {
            Seg::Name(seg.to_string())
        });
        rest = &inner[end + 1..];
    }
    Some(segs)
}

fn insert(children: &mut Vec<(Seg, Node)>, path: &[Seg], value: String) -> Result<(), ()> {
    let Some((first, rest)) = path.split_first() else {
        return Err(());
    };
    let existing = match first {
        Seg::Push => None,
        seg => children.iter_mut().position(|(s, _)| s == seg),
    };
    let at = match existing {
        Some(i) => i,
        None => {
            let node = if rest.is_empty() {
                Node::Leaf(String::new())
            } else {
                Node::Branch(Vec::new())
            };
            children.push((first.clone(), node));
            children.len() - 1
        }
    };
    match (&mut children[at].1, rest.is_empty()) {
        // A repeated scalar: the last one wins, as at Stripe.
        (Node::Leaf(v), true) => *v = value,
        (Node::Branch(kids), false) => insert(kids, rest, value)?,
        // `a=1&a[b]=2`: a scalar and a hash under one name.
        _ => return Err(()),
    }
    Ok(())
}

fn flatten(prefix: &str, children: &mut [(Seg, Node)], out: &mut Params) {
    let is_array = children.iter().all(|(s, _)| !matches!(s, Seg::Name(_)));
    if is_array {
        // Explicit indices in index order, then `[]` elements as they came.
        children.sort_by_key(|(s, _)| match s {
            Seg::Index(i) => (0, *i),
            _ => (1, 0),
        });
    }
    for (position, (seg, node)) in children.iter_mut().enumerate() {
        let key = match (seg, &*node, prefix.is_empty()) {
            (Seg::Name(n), _, true) => n.clone(),
            (Seg::Name(n), _, false) => format!("{prefix}[{n}]"),
            (_, Node::Leaf(_), _) if is_array => format!("{prefix}[]"),
            _ => format!("{prefix}[{position}]"),
        };
        match node {
            Node::Leaf(v) => out.push((key, std::mem::take(v))),
            Node::Branch(kids) => flatten(&key, kids, out),
        }
    }
}

/// Decodes a form body or query string into canonical `(key, value)` pairs, in a stable order.
/// A key Stripe could not parse (`a[b`, `[x]`, a scalar and a hash under one name) is refused,
/// naming it.
pub(super) fn canonical(raw: &[u8]) -> Result<Params, ApiError> {
    let mut root = Vec::new();
    for (key, value) in form_urlencoded::parse(raw) {
        let bad = || {
            ApiError::invalid(
                Some("parameter_invalid_string"),
                format!("Invalid parameter name: {key}"),
                Some(&key),
            )
        };
        let path = segments(&key).ok_or_else(bad)?;
        insert(&mut root, &path, value.into_owned()).map_err(|()| bad())?;
    }
    let mut out = Vec::new();
    flatten("", &mut root, &mut out);
    Ok(out)
}

/// The values of an array parameter (`name[]`), in order.
pub(super) fn list<'a>(params: &'a Params, name: &str) -> Vec<&'a str> {
    let key = format!("{name}[]");
    params
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(raw: &str) -> Vec<String> {
        canonical(raw.as_bytes())
            .ok()
            .unwrap()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    #[test]
    fn every_array_encoding_is_one_parameter() {
        let want = ["payment_method_types[]=card", "payment_method_types[]=pix"];
        assert_eq!(
            keys("payment_method_types[0]=card&payment_method_types[1]=pix"),
            want
        );
        assert_eq!(
            keys("payment_method_types[]=card&payment_method_types[]=pix"),
            want
        );
        // Percent-encoded brackets, as Stripe's libraries send them; indices sort numerically.
        assert_eq!(
            keys("payment_method_types%5B10%5D=pix&payment_method_types%5B9%5D=card"),
            want
        );
        assert_eq!(keys("expand[0]=latest_charge"), ["expand[]=latest_charge"]);
    }

    #[test]
    fn nested_hashes_keep_their_index() {
        assert_eq!(
            keys("items[1][price]=b&items[0][price]=a&items[0][quantity]=2&metadata[k]=v"),
            [
                "items[0][price]=a",
                "items[0][quantity]=2",
                "items[1][price]=b",
                "metadata[k]=v"
            ]
        );
        assert_eq!(
            keys("created[gte]=5&automatic_payment_methods[enabled]=true"),
            ["created[gte]=5", "automatic_payment_methods[enabled]=true"]
        );
    }

    #[test]
    fn malformed_keys_are_named() {
        for raw in ["a[b=1", "[x]=1", "a=1&a[b]=2", "a[b]=2&a=1"] {
            let err = canonical(raw.as_bytes()).err().unwrap();
            assert_eq!(err.status, 400, "{raw}");
            assert!(err.body["error"]["param"].is_string(), "{raw}");
        }
    }
}
