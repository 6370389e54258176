/*
description: >
  The dossier counts of every indicator for each period and unit, rolled up to each level of
  the register (e.g. city agencies, province departments, communes and wards) and to the whole
  deployment. Every unit valid in some part of a period has a row, with zeros when it had no
  dossiers, and so has every unit that had dossiers in it, valid or not: a dossier received
  by a ward before 1 July 2025 and still open after counts under that ward (the entity's own
  desk has rows only then). A unit the register does not know never reaches this model: the
  load quarantines its rows (docs/counting-rules.md).
grain: one row per period and unit, plus one per period and level and one per period
primary_key: [period_key, unit_code]
materialized: table
columns:
  ratings_total: Satisfaction survey forms filled in the period
  ratings_satisfied: Of those, satisfied or very satisfied
  feedback_received: Citizen feedback (PAKN) received in the period
  feedback_answered: Of those, answered
  feedback_answered_on_time: Of those, answered by the due day
  accounts_registered: Portal accounts registered in the period with the help of the unit's desk (all of them for the whole deployment)
*/
with periods as (
    select period_type, period_key, period_start, period_end from intermediate.int_periods
),

-- The units that receive dossiers: all but the entities at the top of the register.
units as (
    select unit_code, unit_name, level, unit_type, valid_from, valid_to
    from staging.stg_seeds__units
    where parent_code is not null
),

level_names as (
    select level, label from staging.stg_seeds__levels
),

counts_per_unit as (
    select * from intermediate.int_dossier_counts
),

-- Portal events, each counted in the period its date falls in.
portal_events as (
    select unit_code, rated_at::date as event_date, 'rating' as kind, is_satisfied as flag, null::boolean as on_time
    from staging.stg_dvc__ratings
    union all
    select unit_code, received_at::date, 'feedback', answered_at is not null, is_answered_on_time
    from staging.stg_dvc__feedback
    union all
    select unit_code, registered_at::date, 'account', null, null
    from staging.stg_dvc__accounts
),

portal_counts as (
    select
        p.period_key,
        e.unit_code,
        count(*) filter (where e.kind = 'rating') as ratings_total,
        count(*) filter (where e.kind = 'rating' and e.flag) as ratings_satisfied,
        count(*) filter (where e.kind = 'feedback') as feedback_received,
        count(*) filter (where e.kind = 'feedback' and e.flag) as feedback_answered,
        count(*) filter (where e.kind = 'feedback' and e.on_time) as feedback_answered_on_time,
        count(*) filter (where e.kind = 'account') as accounts_registered
    from portal_events as e
    inner join periods as p on e.event_date between p.period_start and p.period_end
    group by p.period_key, e.unit_code
),

-- Every unit valid in a period, and every unit that had dossiers in it whatever its validity.
-- The entity's own desk only where it received some: most entities never use it.
unit_periods as (
    select p.period_key, u.unit_code
    from periods as p
    inner join units as u
        on (u.valid_from is null or u.valid_from <= p.period_end)
        and (u.valid_to is null or u.valid_to >= p.period_start)
        and u.unit_type <> 'desk'
    union
    select period_key, unit_code from counts_per_unit
    union
    select period_key, unit_code from portal_counts
),

units_in_periods as (
    select p.*, up.unit_code, coalesce(u.unit_name, up.unit_code) as unit_name, u.level
    from unit_periods as up
    inner join periods as p using (period_key)
    left join units as u using (unit_code)
),

rolled_up as (
    select
        s.period_type, s.period_key, s.period_start, s.period_end,
        case when grouping(s.level) = 1 then 'total' when grouping(s.unit_code) = 1 then 'level' else 'unit' end as scope,
        s.level,
        s.unit_code,
        any_value(s.unit_name) as unit_name,
        coalesce(sum(c.received_online), 0)::bigint as received_online,
        coalesce(sum(c.received_direct), 0)::bigint as received_direct,
        coalesce(sum(c.carried_over), 0)::bigint as carried_over,
        coalesce(sum(c.resolved_early), 0)::bigint as resolved_early,
        coalesce(sum(c.resolved_on_time), 0)::bigint as resolved_on_time,
        coalesce(sum(c.resolved_late), 0)::bigint as resolved_late,
        coalesce(sum(c.in_progress_within), 0)::bigint as in_progress_within,
        coalesce(sum(c.in_progress_overdue), 0)::bigint as in_progress_overdue,
        coalesce(sum(c.stopped_total), 0)::bigint as stopped_total,
        coalesce(sum(c.dossiers_requiring_digitization), 0)::bigint as dossiers_requiring_digitization,
        coalesce(sum(c.dossiers_digitized), 0)::bigint as dossiers_digitized,
        coalesce(sum(c.results_total), 0)::bigint as results_total,
        coalesce(sum(c.results_digitized), 0)::bigint as results_digitized,
        coalesce(sum(c.dossiers_of_online_procedures), 0)::bigint as dossiers_of_online_procedures,
        coalesce(sum(c.dossiers_online), 0)::bigint as dossiers_online,
        coalesce(sum(c.dossiers_procedure_unplaced), 0)::bigint as dossiers_procedure_unplaced,
        coalesce(sum(c.online_dossiers_with_fee), 0)::bigint as online_dossiers_with_fee,
        coalesce(sum(c.online_paid), 0)::bigint as online_paid,
        coalesce(sum(pc.ratings_total), 0)::bigint as ratings_total,
        coalesce(sum(pc.ratings_satisfied), 0)::bigint as ratings_satisfied,
        coalesce(sum(pc.feedback_received), 0)::bigint as feedback_received,
        coalesce(sum(pc.feedback_answered), 0)::bigint as feedback_answered,
        coalesce(sum(pc.feedback_answered_on_time), 0)::bigint as feedback_answered_on_time,
        coalesce(sum(pc.accounts_registered), 0)::bigint as accounts_registered
    from units_in_periods as s
    left join counts_per_unit as c on c.period_key = s.period_key and c.unit_code is not distinct from s.unit_code
    left join portal_counts as pc on pc.period_key = s.period_key and pc.unit_code is not distinct from s.unit_code
    group by grouping sets (
        (s.period_type, s.period_key, s.period_start, s.period_end),
        (s.period_type, s.period_key, s.period_start, s.period_end, s.level),
        (s.period_type, s.period_key, s.period_start, s.period_end, s.level, s.unit_code)
    )
),

final as (
    select
        r.period_type, r.period_key, r.period_start, r.period_end, r.scope, r.level,
        case r.scope
            when 'total' then deployment_code()
            when 'level' then deployment_code() || '/' || r.level
            else r.unit_code
        end as unit_code,
        case r.scope
            when 'total' then deployment_name()
            when 'level' then n.label
            else r.unit_name
        end as unit_name,
        r.* exclude (period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name)
    from rolled_up as r
    left join level_names as n on n.level = r.level
    -- Units outside the register have no level: they count in the total, not in a level roll-up.
    -- Accounts created without a desk's help have no unit: they count in the total only.
    where not (r.scope = 'level' and r.level is null)
      and not (r.scope = 'unit' and r.unit_code is null)
)

select * from final
