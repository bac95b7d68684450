with source as (
    select * from {{ source('shop', 'orders') }}
),

renamed as (
    select
        id as order_id,
        cust as customer_id,
        amount,
        status,
        date(ts) as order_date
    from source
    where legacy_flag is not true
)

select * from renamed
