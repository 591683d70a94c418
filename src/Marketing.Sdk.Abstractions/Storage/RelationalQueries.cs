using System.Data.Common;

namespace Marketing.Sdk.Storage;

/// <summary>The SQL dialect of a <see cref="IRelationalQueryStore"/>.</summary>
public enum SqlDialect
{
    /// <summary>SQLite (3.38 or later, with the JSON functions).</summary>
    Sqlite,

    /// <summary>PostgreSQL (14 or later).</summary>
    PostgreSql,
}

/// <summary>The tables a read-only query of a <see cref="IRelationalQueryStore"/> may name: a fixed whitelist.</summary>
public enum SqlStoreTable
{
    /// <summary>
    /// The profiles: <c>id</c> (text, the customer id), <c>version</c>, <c>first_seen</c>, <c>last_seen</c>
    /// (UTC ticks) and <c>data</c> (the profile as camelCase JSON text: <c>traits</c>, <c>staticTags</c>, <c>dynamicTags</c>, …).
    /// </summary>
    Profiles,

    /// <summary>
    /// The events: <c>id</c>, <c>customer_id</c>, <c>type</c>, <c>occurred_at</c> (UTC ticks) and <c>data</c>
    /// (the event as camelCase JSON text: <c>channel</c>, <c>region</c>, <c>campaignId</c>, <c>sessionId</c>,
    /// <c>value</c>, <c>order</c>, <c>properties</c>, …).
    /// </summary>
    Events,
}

/// <summary>
/// An optional capability of relational profile stores (the SQLite and PostgreSQL providers' <see cref="IProfileStore"/>
/// implement it): runs read-only queries that a package compiled for the store's <see cref="Dialect"/>, so that
/// aggregation and filtering happen in the database instead of in the host's memory. The segmentation package uses
/// it to build segment snapshots column by column and to push segment rules down; stores without it get the
/// object-by-object path. Queries name tables only through <see cref="TableName"/> and pass every value as a
/// parameter.
/// </summary>
public interface IRelationalQueryStore
{
    /// <summary>The dialect queries must be written in.</summary>
    SqlDialect Dialect { get; }

    /// <summary>The qualified, quoted name of a table (with the store's schema or prefix).</summary>
    /// <param name="table">The table.</param>
    string TableName(SqlStoreTable table);

    /// <summary>
    /// Runs a read-only query on one connection and hands its reader to <paramref name="read"/>, which reads the rows as
    /// they stream (the store does not buffer them). Parameters are bound by name as <c>@p0</c>, <c>@p1</c>, … in list
    /// order. Provider errors are wrapped in <see cref="StoreProviderException"/>.
    /// </summary>
    /// <param name="sql">The query (a single <c>SELECT</c> or <c>WITH … SELECT</c>).</param>
    /// <param name="parameters">The values of <c>@p0</c>, <c>@p1</c>, … (text, <see cref="long"/>, <see cref="decimal"/>, <see cref="double"/> or <see langword="null"/>).</param>
    /// <param name="read">Reads the rows.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException">The text is not a read-only query.</exception>
    ValueTask QueryAsync(string sql, IReadOnlyList<object?> parameters, Func<DbDataReader, CancellationToken, ValueTask> read, CancellationToken cancellationToken = default);
}
