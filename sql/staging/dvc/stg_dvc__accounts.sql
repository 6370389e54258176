/*
description: >
  Accounts registered on the public-service portal (tài khoản định danh), typed: the latest
  version of each, without the holder's personal data: the holder is a keyed hash of their ID
  number.
grain: one row per account
primary_key: [account_id]
columns:
  account_id: Mã tài khoản
  registered_at: Time of registration
  account_type: citizen or organisation
  unit_code: Unit whose desk helped create it; NULL when created without help
  holder_key: Keyed hash of the holder's ID number, as applicant_key in stg_motcua__dossiers; NULL without a key or an ID number
  updated_at: Time of this version
*/
with source_rows as (
    select * from raw.dvc__accounts
),

typed as (
    select
        trim(account_id) as account_id,
        vn_timestamp(registered_at) as registered_at,
        code_of('account_type', account_type) as account_type,
        case when blank_to_null(unit) is not null then coalesce(unit_at(unit, vn_timestamp(registered_at)::date), trim(unit)) end as unit_code,
        person_key(holder_id_number) as holder_key,
        vn_timestamp(updated_at) as updated_at,
        _load_id,
        _row
    from source_rows
),

final as (
    select account_id, registered_at, account_type, unit_code, holder_key, updated_at
    from latest_version(typed, account_id)
)

select * from final
