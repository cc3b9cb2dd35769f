// A wallet's view of an Estuary chain, through cosmjs 0.39 unchanged (what Keplr-based front ends
// and most scripts use). Run by interop/tests/cosmjs.rs against a localnet; prints one JSON line
// with what it saw and exits non-zero at the first thing that does not work.
//
// Environment: RPC (chain A's CometBFT RPC), MNEMONIC (a funded key), TO (an address on A),
// IBC_TO (an address on chain B), CHANNEL (A's transfer channel), PROPOSAL (a proposal in its
// voting period that the key's account votes on, as a validator's operator).
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";

const { RPC, MNEMONIC, TO, IBC_TO, CHANNEL, PROPOSAL } = process.env;
const prefix = "estuary";
const gasPrice = GasPrice.fromString("0.001stake");
const out = {};

function check(what, ok, detail) {
  if (!ok) {
    const text = JSON.stringify(detail, (_, v) => (typeof v === "bigint" ? String(v) : v));
    console.error(`FAILED: ${what}: ${text}`);
    process.exit(1);
  }
}

async function signer(kind) {
  const wallet =
    kind === "direct"
      ? await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix })
      : await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix });
  const [account] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(RPC, wallet, { gasPrice });
  return { client, from: account.address };
}

const query = await StargateClient.connect(RPC);
const before = BigInt((await query.getBalance(TO, "stake")).amount);

for (const kind of ["direct", "amino"]) {
  const { client, from } = await signer(kind);
  // fee "auto": cosmjs simulates with gas limit 0 and an empty signature, then signs for real.
  const send = await client.sendTokens(from, TO, [{ denom: "stake", amount: "123" }], "auto", `${kind} send`);
  check(`${kind} sendTokens with fee auto`, send.code === 0, send);
  out[`${kind}_send`] = { height: send.height, gas_wanted: String(send.gasWanted), gas_used: String(send.gasUsed), hash: send.transactionHash };

  const timeoutSecs = Math.floor(Date.now() / 1000) + 600;
  const ibc = await client.sendIbcTokens(
    from, IBC_TO, { denom: "stake", amount: "45" }, "transfer", CHANNEL,
    undefined, timeoutSecs, "auto", `${kind} ibc`,
  );
  check(`${kind} sendIbcTokens with fee auto`, ibc.code === 0, ibc);
  out[`${kind}_ibc`] = { height: ibc.height, hash: ibc.transactionHash };

  const tx = await query.getTx(send.transactionHash);
  check(`${kind} getTx`, tx && tx.code === 0 && tx.hash === send.transactionHash, tx);
  const found = await query.searchTx(`tx.height=${send.height}`);
  check(`${kind} searchTx by height`, found.some((t) => t.hash === send.transactionHash), found.map((t) => t.hash));
  const bySender = await query.searchTx([{ key: "message.sender", value: from }]);
  check(`${kind} searchTx by sender`, bySender.some((t) => t.hash === ibc.transactionHash), bySender.length);
}

// Votes: gov v1's MsgVote signed DIRECT (yes), then v1beta1's signed amino JSON (no: cosmjs has
// amino converters for v1beta1 gov messages only, as Keplr), which replaces the first.
for (const kind of ["direct", "amino"]) {
  const { client, from } = await signer(kind);
  const proposalId = BigInt(PROPOSAL);
  const msg =
    kind === "direct"
      ? { typeUrl: "/cosmos.gov.v1.MsgVote", value: { proposalId, voter: from, option: 1, metadata: "cosmjs" } }
      : { typeUrl: "/cosmos.gov.v1beta1.MsgVote", value: { proposalId, voter: from, option: 3 } };
  const vote = await client.signAndBroadcast(from, [msg], "auto", `${kind} vote`);
  check(`${kind} vote`, vote.code === 0, vote);
  out[`${kind}_vote`] = { height: vote.height, gas_used: String(vote.gasUsed) };
}

const after = BigInt((await query.getBalance(TO, "stake")).amount);
check("balance moved by both sends", after - before === 246n, { before: String(before), after: String(after) });
out.balance_delta = String(after - before);
out.chain_id = await query.getChainId();
out.height = await query.getHeight();
console.log(JSON.stringify(out));
