/*
description: >
  Every dossier that was received, with its unit's level, whether its procedure is offered
  online, and the dates that place it in reporting periods. The date that finishes a dossier
  follows the setting reporting.finished_date (NgayKetThucXuLy or NgayTra, each falling back
  to the other). Dossiers only registered online and never received are left out.
grain: one row per received dossier
primary_key: [dossier_id]
# A table: the dossier periods, the data tests and the snapshot read it, and a view would be
# computed for each. A night rebuilds only the dossiers whose staging rows it changed; whatever
# else it reads (procedures, payments, units, settings) changing makes it a whole rebuild.
materialized: incremental
incremental:
  unique_key: dossier_id
  from: staging.stg_motcua__dossiers
columns:
  dossier_id: Mã hồ sơ
  unit_code: Receiving unit
  level: The level of the receiving unit, as the register gives it (the entity's own desk has one too)
  procedure_code: Mã TTHC as exported, or, for an export that names the procedure only, the code of the catalogue's procedure of that name
  is_procedure_placed: The catalogue lists the procedure (by code, or by name when the export has no code); a dossier it cannot place counts in Biểu 06 and digitization, not in the online-service rate
  is_online_procedure: The procedure is offered online (level 3 or 4) in the catalogue
  is_online: Received online
  received_date: Day of reception
  due_date: Due day, as last moved
  resolved_date: Day the dossier was resolved (status 9 or 10); NULL otherwise
  stopped_date: Day it was withdrawn, refused or stopped (status 3, 7 or 8); NULL otherwise
  closed_date: Day it left the work list (resolved or stopped, never before reception); NULL while open
  has_digitized_components: Components digitized; NULL when no digitization is required
  result_digitized: Result issued as an electronic document
  fee_vnd: Fees, đồng
  has_fee: The dossier carries a financial obligation (a fee in the one-stop-shop system, or a payment on the portal)
  is_paid_online: Its fees were paid online (flagged by the one-stop-shop system, or a paid online payment on the portal)
*/
with dossiers as (
    select * from staging.stg_motcua__dossiers
),

procedures as (
    select procedure_code, procedure_name, level, is_online_service, is_in_force from staging.stg_motcua__procedures
),

-- Exports without a procedure code (the tracking book names the procedure only) find it by its
-- name, written however: the same name at the dossier's level, else the only procedure of that
-- name. A procedure reissued under a new code keeps its name: the one in force is meant.
procedure_names as (
    select name_key, level, any_value(procedure_code) as procedure_code, count(*) as procedures
    from (
        select norm_key(procedure_name) as name_key, level, procedure_code
        from procedures
        qualify is_in_force or not bool_or(is_in_force) over (partition by norm_key(procedure_name), level)
    )
    group by all
),

procedure_names_any_level as (
    select name_key, any_value(procedure_code) as procedure_code, sum(procedures) as procedures
    from procedure_names
    group by name_key
),

units as (
    select unit_code, level from staging.stg_seeds__units
),

payments_per_dossier as (
    select dossier_id, bool_or(is_paid and is_online_method) as paid_online
    from staging.stg_dvc__payments
    group by dossier_id
),

dossiers_dated as (
    select
        d.dossier_id,
        d.unit_code,
        u.level,
        p.procedure_code is not null as is_procedure_placed,
        coalesce(p.procedure_code, d.procedure_code) as procedure_code,
        coalesce(p.is_online_service, false) as is_online_procedure,
        d.is_online,
        d.received_at::date as received_date,
        d.due_at::date as due_date,
        case when d.status_group = 'resolved' then
            coalesce(
                case reporting_setting('finished_date')
                    when 'result_returned' then coalesce(d.result_returned_at, d.processing_finished_at)
                    else coalesce(d.processing_finished_at, d.result_returned_at)
                end,
                d.updated_at
            )::date
        end as resolved_date,
        case when d.status_group = 'stopped' then
            coalesce(d.refused_at, d.processing_finished_at, d.updated_at)::date
        end as stopped_date,
        d.has_digitized_components,
        d.result_digitized,
        d.fee_vnd,
        d.fee_vnd > 0 or pay.dossier_id is not null as has_fee,
        d.paid_online or coalesce(pay.paid_online, false) as is_paid_online
    from dossiers as d
    left join units as u using (unit_code)
    -- The name is normalised for the dossiers without a code only: most have one.
    left join procedure_names as by_level
        on by_level.name_key = case when d.procedure_code is null then norm_key(d.procedure_name) end
        and by_level.level = u.level and by_level.procedures = 1
    left join procedure_names_any_level as by_name
        on by_name.name_key = case when d.procedure_code is null then norm_key(d.procedure_name) end
        and by_name.procedures = 1
    left join procedures as p on p.procedure_code = coalesce(d.procedure_code, by_level.procedure_code, by_name.procedure_code)
    left join payments_per_dossier as pay using (dossier_id)
    where d.received_at is not null and d.status_group <> 'registered'
),

final as (
    select
        dossier_id, unit_code, level, procedure_code, is_procedure_placed, is_online_procedure, is_online,
        received_date, due_date, resolved_date, stopped_date,
        -- A result dated before reception (a data error) still closes the dossier in the
        -- period it arrived, so that it is counted as received somewhere.
        case when coalesce(resolved_date, stopped_date) is not null
            then greatest(coalesce(resolved_date, stopped_date), received_date)
        end as closed_date,
        has_digitized_components, result_digitized, fee_vnd, has_fee, is_paid_online
    from dossiers_dated
)

select * from final
