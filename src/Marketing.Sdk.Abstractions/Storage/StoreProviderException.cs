namespace Marketing.Sdk.Storage;

/// <summary>
/// A database provider failed a store operation (connection lost, lock timeout, missing table…).
/// The provider's exception is the <see cref="Exception.InnerException"/>; the message names the
/// provider, store and operation only (never personal data or SQL parameter values).
/// </summary>
public sealed class StoreProviderException : MarketingStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The database provider (e.g. <c>sqlite</c>, <c>postgresql</c>).</param>
    /// <param name="store">The store (e.g. <c>event</c>).</param>
    /// <param name="operation">The operation (e.g. <c>append</c>).</param>
    /// <param name="isTransient">Whether retrying the operation later may succeed.</param>
    /// <param name="errorCode">The provider's error code (SQLSTATE or SQLite result code), if any.</param>
    /// <param name="innerException">The provider's exception.</param>
    public StoreProviderException(string provider, string store, string operation, bool isTransient, string? errorCode, Exception innerException)
        : base(FormatMessage(provider, store, operation, isTransient, errorCode), innerException)
    {
        Provider = provider;
        Store = store;
        Operation = operation;
        IsTransient = isTransient;
        ErrorCode = errorCode;
    }

    /// <summary>The database provider (e.g. <c>sqlite</c>, <c>postgresql</c>).</summary>
    public string Provider { get; }

    /// <summary>The store whose operation failed (e.g. <c>event</c>, <c>outbox</c>).</summary>
    public string Store { get; }

    /// <summary>The operation that failed (e.g. <c>append</c>, <c>claim</c>).</summary>
    public string Operation { get; }

    /// <summary>
    /// Whether the failure is likely temporary (lost connection, lock or busy timeout, serialization
    /// failure, server shutting down), so retrying the operation later may succeed.
    /// </summary>
    public bool IsTransient { get; }

    /// <summary>The provider's error code: the SQLSTATE for PostgreSQL, the SQLite result code for SQLite; <see langword="null"/> when none.</summary>
    public string? ErrorCode { get; }

    private static string FormatMessage(string provider, string store, string operation, bool isTransient, string? errorCode) =>
        $"The {provider} {store} store failed to {operation}{(errorCode is null ? "" : $" (error {errorCode})")}; the failure is {(isTransient ? "transient, a retry may succeed" : "not transient")}.";
}
