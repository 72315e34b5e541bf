# shellcheck shell=bash
# ./dev demo [TENANT]: a buyer agent's first media buy, end to end, against
# the stack ./dev up runs (sourced by ./dev; uses its log, die, DATA_DIR and
# STACK_FILE). Each step prints its request and the answer; a step that fails
# stops the demo with a non-zero status.
#
#   0. the operator issues a buyer agent its token     adcpctl create-principal
#   1. discover what the publisher sells                 get_products
#   2. buy it                                            create_media_buy
#   3. the publisher approves, where it reviews buys     adcpctl approve-human-task
#   4. read the buy back (its packages)                  get_media_buys
#   5. upload a creative, assigned to the package        sync_creatives
#   6. read delivery                                     get_media_buy_delivery
#
# Steps 1, 2, 4, 5 and 6 are the agent edge's REST routes (POST /v1/<task>,
# the same tasks as MCP's tools/call). Requests and answers are kept in
# .data/demo/.

DEMO_ACCOUNT='{"brand":{"domain":"acme.example"},"operator":"agency.example"}'
DEMO_PRINCIPAL=demo_buyer
# Lines of an answer printed; the whole answer is in .data/demo/.
DEMO_ANSWER_LINES=${DEMO_ANSWER_LINES:-40}

DEMO_DIR=
DEMO_TOKEN=
DEMO_ANSWER=
DEMO_MEDIA_BUY_ID=

# Prints file $1 through jq, at most DEMO_ANSWER_LINES lines of it.
demo_show() {
  local lines
  lines=$(jq . "$1" | wc -l)
  jq . "$1" | head -n "$DEMO_ANSWER_LINES" | sed 's/^/    /'
  ((lines <= DEMO_ANSWER_LINES)) ||
    printf '    ... (%d lines more in %s)\n' "$((lines - DEMO_ANSWER_LINES))" "${1#"$REPO"/}"
}

# Calls a task on the agent edge as the demo buyer. Args: step title task
# request-json. Prints both; sets DEMO_ANSWER; fails the demo unless the
# answer is HTTP 200 without an adcp_error.
demo_task() {
  local step=$1 title=$2 task=$3 request=$4
  local url=$EDGE_URL/tenants/$DEMO_TENANT/v1/$task
  local base=$DEMO_DIR/$step-$task code
  jq . <<<"$request" >"$base.request.json" || die "step $step: the request is not JSON"
  printf '\n==> step %s: %s\n' "$step" "$title"
  printf '    curl -X POST %s \\\n      -H "x-adcp-auth: $TOKEN" -d @%s\n' "$url" \
    "${base#"$REPO"/}.request.json"
  demo_show "$base.request.json"
  code=$(curl -sS -o "$base.answer.json" -w '%{http_code}' --max-time 60 -X POST "$url" \
    -H "x-adcp-auth: $DEMO_TOKEN" -H 'content-type: application/json' \
    --data-binary @"$base.request.json") || die "step $step ($task): the agent edge did not answer at $url"
  printf '<-- HTTP %s\n' "$code"
  if jq -e . "$base.answer.json" >/dev/null 2>&1; then
    demo_show "$base.answer.json"
  else
    sed 's/^/    /' "$base.answer.json"
  fi
  if [[ $code != 200 ]] ||
     jq -e '.adcp_error? // .error? // empty' "$base.answer.json" >/dev/null 2>&1; then
    die "step $step ($task) failed: HTTP $code (the answer is above)"
  fi
  DEMO_ANSWER=$(<"$base.answer.json")
}

# Runs adcpctl against the running stack.
demo_adcpctl() {
  TENANT_REGISTRY_ADDR=$TENANT_REGISTRY_ADDR AUTH_ADDR=$AUTH_ADDR MEDIA_BUY_ADDR=$MEDIA_BUY_ADDR \
    ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN SYSTEM_ADMIN_TOKEN=$SYSTEM_ADMIN_TOKEN \
    "$ADCPCTL" "$@"
}

# Step 0: the demo buyer's token (a new principal, or a new token for it).
demo_buyer_token() {
  local out
  printf '==> step 0: the operator issues a buyer agent its token\n'
  printf '    adcpctl create-principal %s "Demo buyer (./dev demo)" %s\n' "$DEMO_TENANT" \
    "$DEMO_PRINCIPAL"
  if ! out=$(demo_adcpctl create-principal "$DEMO_TENANT" "Demo buyer (./dev demo)" \
      "$DEMO_PRINCIPAL" 2>&1); then
    [[ $out == *"already exists"* ]] || die "step 0: create-principal failed: $out"
    printf '    (it exists from an earlier demo) adcpctl rotate-token %s %s\n' "$DEMO_TENANT" \
      "$DEMO_PRINCIPAL"
    out=$(demo_adcpctl rotate-token "$DEMO_TENANT" "$DEMO_PRINCIPAL" 2>&1) ||
      die "step 0: rotate-token failed: $out"
  fi
  printf '%s\n' "$out" | sed 's/^/    /'
  DEMO_TOKEN=$(sed -n 's/^access_token: //p' <<<"$out")
  [[ -n $DEMO_TOKEN ]] || die "step 0: no access_token in adcpctl's answer"
  printf '    TOKEN=%s\n' "$DEMO_TOKEN"
}

# The create_media_buy request for the first product of the get_products
# answer $1 that takes a display 300x250 creative (else the first product).
demo_buy_request() {
  jq --arg key "demo-$(random_hex 8)" --argjson account "$DEMO_ACCOUNT" \
    --arg stop "$(date -u -d '+7 days' +%Y-%m-%dT%H:00:00Z)" '
    ([.products[] | select(any(.format_ids[]?; .id == "display_300x250"))] + .products)[0] as $p
    | ($p.pricing_options[0] // {}) as $o
    | {idempotency_key: $key, account: $account, brand: $account.brand,
       start_time: "asap", end_time: $stop,
       packages: [{product_id: $p.product_id, pricing_option_id: $o.pricing_option_id,
                   budget: 5000}
                  + (if $o.fixed_price == null and $o.floor_price != null
                     then {bid_price: ($o.floor_price + 1)} else {} end)]}' <<<"$1"
}

# Step 3, where the answer $1 to create_media_buy awaits the publisher's
# review: approves its task as the operator. Sets DEMO_MEDIA_BUY_ID.
demo_approve() {
  local task_id out
  task_id=$(jq -r '.task_id // empty' <<<"$1")
  if [[ -z $task_id ]]; then
    printf '\n==> step 3: %s takes buys without review: nothing to approve\n' "$DEMO_TENANT"
    DEMO_MEDIA_BUY_ID=$(jq -r '.media_buy_id // empty' <<<"$1")
    return 0
  fi
  printf '\n==> step 3: %s reviews buys by hand (manual_approval_required):\n' "$DEMO_TENANT"
  printf '    its task %s is approved by the operator (the tenant admin may too)\n' "$task_id"
  printf '    adcpctl approve-human-task %s %s\n' "$DEMO_TENANT" "$task_id"
  out=$(demo_adcpctl approve-human-task "$DEMO_TENANT" "$task_id" 2>&1) ||
    die "step 3: approve-human-task failed: $out"
  printf '%s\n' "$out" | sed 's/^/    /'
  jq -e '.status == "approved"' <<<"$out" >/dev/null ||
    die "step 3: the task is not approved (the answer is above)"
  DEMO_MEDIA_BUY_ID=$(jq -r '.media_buy_id // empty' <<<"$out")
}

cmd_demo() {
  (($# <= 1)) || die "usage: ./dev demo [TENANT]   (default localnews)"
  DEMO_TENANT=${1:-localnews}
  command -v jq >/dev/null || cmd_deps jq
  command -v curl >/dev/null || cmd_deps curl
  [[ -f $STACK_FILE ]] ||
    die "no ./dev up is running for $REPO: start one (./dev up), then ./dev demo in another terminal"
  local EDGE_URL TENANT_REGISTRY_ADDR AUTH_ADDR MEDIA_BUY_ADDR ADCP_INTERNAL_TOKEN \
    SYSTEM_ADMIN_TOKEN ADCPCTL
  # shellcheck source=/dev/null
  source "$STACK_FILE"
  DEMO_DIR=$DATA_DIR/demo
  mkdir -p "$DEMO_DIR"
  printf 'A buyer agent'"'"'s first media buy on tenant %s, through the agent edge at %s\n\n' \
    "$DEMO_TENANT" "$EDGE_URL"

  demo_buyer_token
  demo_task 1 "discover what $DEMO_TENANT sells" get_products \
    '{"buying_mode":"wholesale","brief":"display advertising for a local audience"}'
  jq -e '.products | length > 0' <<<"$DEMO_ANSWER" >/dev/null || die "step 1: no products"
  printf '    in short:\n'
  jq -r '.products[] | (.pricing_options[0] // {}) as $o
    | "    \(.product_id)  \(.name)  \($o.pricing_model // "-") \($o.fixed_price // $o.floor_price // "-") \($o.currency // "")"' \
    <<<"$DEMO_ANSWER"

  local request media_buy_id package_id
  request=$(demo_buy_request "$DEMO_ANSWER")
  demo_task 2 "buy the first display product: 5,000 USD, from now for a week" create_media_buy "$request"
  demo_approve "$DEMO_ANSWER"
  media_buy_id=$DEMO_MEDIA_BUY_ID
  [[ -n $media_buy_id ]] || die "step 3: no media_buy_id for the buy"

  demo_task 4 "read the buy back" get_media_buys \
    "{\"account\":$DEMO_ACCOUNT,\"media_buy_ids\":[\"$media_buy_id\"]}"
  package_id=$(jq -r '.media_buys[0].packages[0].package_id // empty' <<<"$DEMO_ANSWER")
  [[ -n $package_id ]] || die "step 4: the buy has no package"

  demo_task 5 "upload a 300x250 banner and assign it to package $package_id" sync_creatives "$(
    jq -n --argjson account "$DEMO_ACCOUNT" --arg pkg "$package_id" '
      {idempotency_key: "demo-creative-\($pkg)", account: $account,
       creatives: [{creative_id: "banner_\($pkg)", name: "Demo banner",
         format_id: {agent_url: "https://creative.adcontextprotocol.org", id: "display_300x250"},
         assets: {banner: {asset_type: "image", url: "https://cdn.acme.example/banner.png",
                           width: 300, height: 250},
                  landing: {asset_type: "url", url_type: "clickthrough",
                            url: "https://acme.example/"}}}],
       assignments: [{creative_id: "banner_\($pkg)", package_id: $pkg}]}')"
  jq -e '[.creatives[]? | select(.action == "failed")] | length == 0' <<<"$DEMO_ANSWER" \
    >/dev/null || die "step 5: the creative was not taken (the answer is above)"

  demo_task 6 "read delivery" get_media_buy_delivery \
    "{\"account\":$DEMO_ACCOUNT,\"media_buy_ids\":[\"$media_buy_id\"]}"
  jq -e '.media_buy_deliveries | length == 1' <<<"$DEMO_ANSWER" >/dev/null ||
    die "step 6: no delivery for $media_buy_id"

  printf '\n==> done: media buy %s is %s; requests and answers are in %s\n' "$media_buy_id" \
    "$(jq -r '.media_buy_deliveries[0].status' <<<"$DEMO_ANSWER")" "${DEMO_DIR#"$REPO"/}/"
}
