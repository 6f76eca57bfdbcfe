"""Drives payorch's Efí sandbox with Efí's official Python SDK (`efipay`, pinned in
requirements.txt); run by tests/it/efi_sdk.rs, which checks what this prints.

Input (environment): EFI_BASE_URL (the sandbox's Efí listener), EFI_CLIENT_ID,
EFI_CLIENT_SECRET, EFI_CERTIFICATE (a file path: the SDK only checks that it exists when
the URL is plain http), EFI_WEBHOOK_URL (where to point the webhook configuration).
Output (stdout): one JSON document, {"steps": [{"step", "method", "url", "status", "body",
"sdk"}]}: every HTTP exchange the SDK made for each step, and what the SDK returned.

The SDK has no base-URL option (its hosts are constants); pointing its "sandbox" host at
the fake is the only change made to it.
"""

import json
import os
import sys

import efipay
import efipay.endpoints
import requests
from efipay.constants import Constants

BASE = os.environ["EFI_BASE_URL"].rstrip("/")
Constants.APIS["PIX"]["URL"]["sandbox"] = BASE

steps = []
current = {"step": None}
_real_request = requests.request
_real_post = requests.post


def _record(method, url, response):
    try:
        body = response.json()
    except ValueError:
        body = response.text or None
    steps.append(
        {
            "step": current["step"],
            "method": method.upper(),
            "url": url,
            "status": response.status_code,
            "body": body,
        }
    )


def _request(method, url, **kwargs):
    response = _real_request(method, url, **kwargs)
    _record(method, url, response)
    return response


def _post(url, **kwargs):
    response = _real_post(url, **kwargs)
    _record("post", url, response)
    return response


efipay.endpoints.requests.request = _request
efipay.endpoints.requests.post = _post

efi = efipay.EfiPay(
    {
        "client_id": os.environ["EFI_CLIENT_ID"],
        "client_secret": os.environ["EFI_CLIENT_SECRET"],
        "sandbox": True,
        "certificate": os.environ["EFI_CERTIFICATE"],
    }
)

CHAVE = "sandbox@payorch.dev"
WINDOW = {"inicio": "2000-01-01T00:00:00Z", "fim": "2100-01-01T00:00:00Z"}
results = {}


def step(name, method, **kwargs):
    current["step"] = name
    returned = getattr(efi, method)(**kwargs)
    if not isinstance(returned, (dict, list)):
        returned = str(returned)
    for s in steps:
        if s["step"] == name:
            s["sdk"] = returned
    results[name] = returned
    return returned


cob_body = {
    "calendario": {"expiracao": 3600},
    "devedor": {"cpf": "12345678909", "nome": "Francisco da Silva"},
    "valor": {"original": "123.45"},
    "chave": CHAVE,
    "solicitacaoPagador": "Cobrança dos serviços prestados.",
    "infoAdicionais": [{"nome": "Pedido", "valor": "1234"}],
}
created = step("create_without_txid", "pix_create_immediate_charge", body=cob_body)
txid_psp = created["txid"]

txid = "payorchSdk000000000000000000001"
small = {"calendario": {"expiracao": 600}, "valor": {"original": "5.00"}, "chave": CHAVE}
step("create_with_txid", "pix_create_charge", params={"txid": txid}, body=small)
step("create_repeated", "pix_create_charge", params={"txid": txid}, body=small)
step(
    "create_without_calendario",
    "pix_create_charge",
    params={"txid": "payorchSdk000000000000000000002"},
    body={"valor": {"original": "20.00"}, "chave": CHAVE},
)
step(
    "create_bad_cpf",
    "pix_create_charge",
    params={"txid": "payorchSdk000000000000000000003"},
    body={
        "calendario": {"expiracao": 600},
        "valor": {"original": "20.00"},
        "chave": CHAVE,
        "devedor": {"cpf": "12345678900", "nome": "X"},
    },
)
paid = step("detail_paid", "pix_detail_charge", params={"txid": txid})
step(
    "revise",
    "pix_update_charge",
    params={"txid": txid_psp},
    body={
        "valor": {"original": "150.00"},
        "devedor": {"cnpj": "12345678000195", "nome": "Empresa de Serviços SA"},
        "solicitacaoPagador": "Revisada.",
    },
)
step("revise_paid", "pix_update_charge", params={"txid": txid}, body={"valor": {"original": "1.00"}})
step("list_cobs", "pix_list_charges", params=dict(WINDOW))
step(
    "list_cobs_paged",
    "pix_list_charges",
    params=dict(WINDOW, **{"paginacao.itensPorPagina": 1, "paginacao.paginaAtual": 1}),
)
step("list_cobs_without_window", "pix_list_charges", params={})
step("detail_location", "pix_detail_location", params={"id": created["loc"]["id"]})
step("qrcode", "pix_generate_qrcode", params={"id": created["loc"]["id"]})
e2e = paid["pix"][0]["endToEndId"]
step("list_pix", "pix_received_list", params=dict(WINDOW))
step("detail_pix", "pix_detail_received", params={"e2eId": e2e})
step("detail_pix_unknown", "pix_detail_received", params={"e2eId": "E09089356202601010000abcdefghijk"})
step("devolution", "pix_devolution", params={"e2eId": e2e, "id": "sdkdev1"}, body={"valor": "2.00"})
step("devolution_repeated", "pix_devolution", params={"e2eId": e2e, "id": "sdkdev1"}, body={"valor": "2.00"})
step("detail_devolution", "pix_detail_devolution", params={"e2eId": e2e, "id": "sdkdev1"})
step(
    "config_webhook",
    "pix_config_webhook",
    params={"chave": CHAVE},
    body={"webhookUrl": os.environ["EFI_WEBHOOK_URL"]},
    headers={"x-skip-mtls-checking": "true"},
)
step("detail_webhook", "pix_detail_webhook", params={"chave": CHAVE})
step("list_webhooks", "pix_list_webhook", params=dict(WINDOW))
step(
    "create_after_webhook",
    "pix_create_charge",
    params={"txid": "payorchSdk000000000000000000004"},
    body={"calendario": {"expiracao": 600}, "valor": {"original": "0.50"}, "chave": CHAVE},
)
step("cancel", "pix_update_charge", params={"txid": txid_psp}, body={"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"})
step("detail_unknown", "pix_detail_charge", params={"txid": "payorchSdkNOPE0000000000000000"})
step("delete_webhook", "pix_delete_webhook", params={"chave": CHAVE})
step("detail_deleted_webhook", "pix_detail_webhook", params={"chave": CHAVE})

json.dump({"steps": steps}, sys.stdout)
