use estuary_sdk::{Address, Coin, Event};

/// The amount list as the SDK prints `sdk.Coins`: `10stake,5uatom`.
pub fn coins_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn coin_spent(spender: &Address, coins: &[Coin]) -> Event {
    Event::new("coin_spent")
        .attr("spender", spender)
        .attr("amount", coins_string(coins))
}

pub fn coin_received(receiver: &Address, coins: &[Coin]) -> Event {
    Event::new("coin_received")
        .attr("receiver", receiver)
        .attr("amount", coins_string(coins))
}

pub fn transfer(sender: &Address, recipient: &Address, coins: &[Coin]) -> Event {
    Event::new("transfer")
        .attr("recipient", recipient)
        .attr("sender", sender)
        .attr("amount", coins_string(coins))
}

pub fn coinbase(minter: &Address, coins: &[Coin]) -> Event {
    Event::new("coinbase")
        .attr("minter", minter)
        .attr("amount", coins_string(coins))
}

pub fn burn(burner: &Address, coins: &[Coin]) -> Event {
    Event::new("burn")
        .attr("burner", burner)
        .attr("amount", coins_string(coins))
}
