//! `byzlab book-shop`: customer, shop and payment service agree on an order.

use super::*;

#[derive(clap::Args)]
pub(super) struct BookShopArgs {
    /// Algorithm: a built-in one (om, sm, dolev-strong, phase-king, mmr).
    #[arg(long, default_value = "om", value_parser = parse_builtin_algorithm)]
    pub(super) algorithm: Algorithm,
    /// The Byzantine party: customer, shop or payment (none when left out).
    #[arg(long, value_parser = parse_party)]
    pub(super) byzantine: Option<crate::scenarios::Party>,
    /// What the customer orders: buy or cancel.
    #[arg(long, default_value = "buy", value_parser = parse_order)]
    pub(super) order: Value,
    /// Seed.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
    /// Instead: write every algorithm x Byzantine party x order into this folder.
    #[arg(long)]
    pub(super) table: Option<PathBuf>,
}

pub(super) fn parse_builtin_algorithm(s: &str) -> Result<Algorithm, String> {
    crate::algorithm::Algorithms::builtin()
        .find(s)
        .map_err(|e| e.to_string())
}

pub(super) fn parse_party(s: &str) -> Result<crate::scenarios::Party, String> {
    use crate::scenarios::Party;
    match s {
        "customer" => Ok(Party::Customer),
        "shop" => Ok(Party::Shop),
        "payment" => Ok(Party::Payment),
        other => Err(format!("`{other}` is not customer, shop or payment")),
    }
}

pub(super) fn parse_order(s: &str) -> Result<Value, String> {
    match s {
        "buy" => Ok(Value::Attack),
        "cancel" => Ok(Value::Retreat),
        other => Err(format!("`{other}` is not buy or cancel")),
    }
}

pub(super) fn cmd_book_shop(args: BookShopArgs) -> Result<()> {
    if let Some(out) = &args.table {
        println!("{}", crate::scenarios::book_shop_table(out, &command_line())?);
        return Ok(());
    }
    let r = crate::scenarios::book_shop(args.algorithm, args.byzantine, args.order, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        let yes = |b: Option<bool>| b.map_or("(Byzantine)", |b| if b { "yes" } else { "no" });
        println!(
            "{}(1): customer orders {}, Byzantine: {}; shop dispatches: {}, payment charges: {}; {}",
            r.algorithm.as_str().to_uppercase(),
            if r.order == Value::Attack { "buy" } else { "cancel" },
            r.byzantine
                .map_or("none".to_string(), |p| format!("{p:?}").to_lowercase()),
            yes(r.dispatch),
            yes(r.charge),
            book_shop_verdict(&r)
        );
    }
    Ok(())
}

/// `consistent`, or which property failed, in the shop's terms: IC1 (the
/// honest parties disagree: dispatched but not charged, or charged but not
/// dispatched) and IC2 (an honest customer's order not followed).
pub(super) fn book_shop_verdict(r: &crate::scenarios::BookShop) -> String {
    if r.consistent {
        return "consistent".into();
    }
    let mut failed = Vec::new();
    if let (Some(d), Some(c)) = (r.dispatch, r.charge)
        && d != c
    {
        failed.push(if d {
            "IC1 violated: the shop dispatches but the payment service does not charge"
        } else {
            "IC1 violated: the payment service charges but the shop does not dispatch"
        });
    }
    let ordered = r.order == Value::Attack;
    let honest_customer = r.byzantine != Some(crate::scenarios::Party::Customer);
    if honest_customer && [r.dispatch, r.charge].iter().flatten().any(|&x| x != ordered) {
        failed.push(if ordered {
            "IC2 violated: the customer bought, an honest party cancelled"
        } else {
            "IC2 violated: the customer cancelled, an honest party went ahead"
        });
    }
    format!("INCONSISTENT ({})", failed.join("; "))
}
