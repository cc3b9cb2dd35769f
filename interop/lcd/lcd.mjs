// A REST (LCD) client that no one here wrote, against an Estuary node's REST API: osmojs'
// telescope-generated LCD query clients (the cosmos modules, on @cosmology/lcd) read the chain id,
// the sender's account and the balances; the send is signed with cosmjs (SIGN_MODE_DIRECT) from
// the account number and sequence the REST API gave, simulated and broadcast with @cosmology/lcd's
// POST, and read back with the generated tx client. Run by interop/tests/lcd.rs; prints one JSON
// line with what it saw and exits non-zero at the first thing that does not work.
//
// Environment: REST (the node's REST address), MNEMONIC (a funded key), TO (an address).
import { cosmos } from "osmojs";
import { LCDClient } from "@cosmology/lcd";
import { DirectSecp256k1HdWallet, Registry, makeAuthInfoBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx.js";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx.js";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys.js";

const { REST, MNEMONIC, TO } = process.env;
const out = {};

function check(what, ok, detail) {
  if (!ok) {
    console.error(`FAILED: ${what}: ${JSON.stringify(detail)}`);
    process.exit(1);
  }
}

const lcd = await cosmos.ClientFactory.createLCDClient({ restEndpoint: REST });
const raw = new LCDClient({ restEndpoint: REST });

// osmojs generates no LCD client for the tendermint service: the plain LCD client reads it.
const info = await raw.get("cosmos/base/tendermint/v1beta1/node_info");
const chainId = info.default_node_info.network;
out.chain_id = chainId;

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "estuary" });
const [signer] = await wallet.getAccounts();
const { account } = await lcd.cosmos.auth.v1beta1.account({ address: signer.address });
check("the account is a BaseAccount", account["@type"] === "/cosmos.auth.v1beta1.BaseAccount", account);
check("the account is the signer's", account.address === signer.address, account);
out.account_number = account.account_number;
out.sequence = account.sequence;

const balanceOf = async (address) =>
  BigInt((await lcd.cosmos.bank.v1beta1.balance({ address, denom: "stake" })).balance.amount);
const all = await lcd.cosmos.bank.v1beta1.allBalances({ address: signer.address });
check("allBalances lists stake", all.balances.some((c) => c.denom === "stake"), all);
const before = await balanceOf(TO);
out.before = String(before);

const registry = new Registry([["/cosmos.bank.v1beta1.MsgSend", MsgSend]]);
const bodyBytes = registry.encode({
  typeUrl: "/cosmos.tx.v1beta1.TxBody",
  value: {
    messages: [{
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: signer.address, toAddress: TO, amount: [{ denom: "stake", amount: "77" }] },
    }],
    memo: "through the REST API",
  },
});
const pubkey = { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key: signer.pubkey }).finish() };
const sign = async (gas) => {
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey, sequence: Number(account.sequence) }],
    [{ denom: "stake", amount: "0" }],
    gas,
    undefined,
    undefined,
  );
  const doc = makeSignDoc(bodyBytes, authInfoBytes, chainId, Number(account.account_number));
  const { signed, signature } = await wallet.signDirect(signer.address, doc);
  const tx = TxRaw.fromPartial({
    bodyBytes: signed.bodyBytes,
    authInfoBytes: signed.authInfoBytes,
    signatures: [Buffer.from(signature.signature, "base64")],
  });
  return Buffer.from(TxRaw.encode(tx).finish()).toString("base64");
};

const sim = await raw.post("cosmos/tx/v1beta1/simulate", { tx_bytes: await sign(200000) });
const gasUsed = Number(sim.gas_info.gas_used);
check("simulate reports gas", gasUsed > 0, sim);
out.simulated_gas = String(gasUsed);

const res = await raw.post("cosmos/tx/v1beta1/txs", {
  tx_bytes: await sign(Math.ceil(gasUsed * 1.5)),
  mode: "BROADCAST_MODE_SYNC",
});
check("the broadcast is accepted", res.tx_response.code === 0, res);
const hash = res.tx_response.txhash;
out.txhash = hash;

let found;
for (let i = 0; i < 60 && !found; i++) {
  try {
    found = await lcd.cosmos.tx.v1beta1.getTx({ hash });
  } catch (e) {
    await new Promise((r) => setTimeout(r, 500));
  }
}
check("the send is found by hash", found !== undefined, hash);
check("the send succeeded", found.tx_response.code === 0, found.tx_response);
check("it reads back as a MsgSend", found.tx.body.messages[0]["@type"] === "/cosmos.bank.v1beta1.MsgSend", found.tx);
check("its memo is kept", found.tx.body.memo === "through the REST API", found.tx);
out.height = found.tx_response.height;
out.after = String(await balanceOf(TO));
const again = await lcd.cosmos.auth.v1beta1.account({ address: signer.address });
out.sequence_after = again.account.sequence;
console.log(JSON.stringify(out));
