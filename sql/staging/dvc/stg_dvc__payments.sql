/*
description: >
  Fee payments of dossiers on the public-service portal, typed: the latest version of each
  transaction. A dossier may have several transactions (a cancelled one, then a paid one).
grain: one row per payment transaction
primary_key: [transaction_id]
columns:
  transaction_id: Mã giao dịch
  dossier_id: Mã hồ sơ the payment is for
  amount_vnd: Amount, đồng
  fee_kind: Phí or lệ phí, as exported
  method: online, cash or transfer
  is_online_method: Paid, or to be paid, through the online payment gateway
  status: waiting, unpaid, paid, refunded or cancelled
  is_paid: The money was received (paid, or paid and later refunded)
  paid_at: Time of payment
  updated_at: Time of this version
tests:
  - relationships: { column: dossier_id, to: staging.stg_motcua__dossiers, field: dossier_id }
    severity: warn
*/
with source_rows as (
    select * from raw.dvc__payments
),

typed as (
    select
        trim(transaction_id) as transaction_id,
        trim(dossier_id) as dossier_id,
        vn_amount(amount_vnd) as amount_vnd,
        blank_to_null(fee_kind) as fee_kind,
        code_of('payment_method', method) as method,
        code_of('payment_status', status) as status,
        vn_timestamp(paid_at) as paid_at,
        vn_timestamp(updated_at) as updated_at,
        _load_id,
        _row
    from source_rows
),

final as (
    select
        transaction_id, dossier_id, amount_vnd, fee_kind,
        method,
        method = 'online' as is_online_method,
        status,
        status in ('paid', 'refunded') as is_paid,
        paid_at, updated_at
    from latest_version(typed, transaction_id)
)

select * from final
