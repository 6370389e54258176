/*
description: >
  Chỉ số CCHC (PAR index) as published: the deployment's score by area with its rank among the
  districts of the province, and each commune's and ward's score with its rank, its change
  on the year before and its rank then. Reference data of the report (sql/seeds).
grain: one row per year, unit and area (area total for the whole index)
primary_key: [period_key, unit_code, area_code]
published_by_year: period_end
columns:
  period_type: year
  period_key: The year assessed
  period_start: First day of the year
  period_end: Last day of the year
  scope: total for the deployment, unit for a commune or ward
  level: The unit's level (a level of the register); NULL for the total
  unit_code: The unit
  unit_name: Its name
  area_code: total, or the area (lĩnh vực) 1–8
  area_name: Name of the area
  score: Points scored
  max_points: Points the area is worth (NULL for the whole index)
  score_rate: score / max_points, a fraction
  rank: Rank among rank_of units
  rank_of: Number of units ranked
  change_points: Change of the score on the year before
  previous_rank: Rank the year before
  note: As published
*/
with results as (
    select * from seeds.par_index_results
),

units as (
    select unit_code, unit_name, level from staging.stg_seeds__units
),

final as (
    select
        'year' as period_type,
        r.year as period_key,
        make_date(r.year::integer, 1, 1) as period_start,
        make_date(r.year::integer, 12, 31) as period_end,
        case when r.unit_code = deployment_code() then 'total' else 'unit' end as scope,
        u.level,
        r.unit_code,
        coalesce(u.unit_name, deployment_name()) as unit_name,
        r.area_code,
        r.area_name,
        r.score::double as score,
        try_cast(r.max_points as double) as max_points,
        r.score::double / try_cast(r.max_points as double) as score_rate,
        r.rank::integer as rank,
        r.rank_of::integer as rank_of,
        try_cast(r.change_points as double) as change_points,
        try_cast(r.previous_rank as integer) as previous_rank,
        r.note
    from results as r
    left join units as u using (unit_code)
    -- The published results are the Đồng Hới deployment's: another deployment keeps only its own.
    where r.unit_code = deployment_code() or u.unit_code is not null
)

select * from final
