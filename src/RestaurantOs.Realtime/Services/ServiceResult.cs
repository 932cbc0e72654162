namespace RestaurantOs.Realtime.Services;

public enum ServiceErrorKind
{
    /// <summary>The request is malformed or breaks a rule; nothing changed (HTTP 400).</summary>
    Validation,
    /// <summary>The caller may not do this (HTTP 403).</summary>
    Forbidden,
    /// <summary>No such document in the caller's restaurant (HTTP 404).</summary>
    NotFound,
    /// <summary>A version conflict or an illegal status transition; nothing changed (HTTP 409).</summary>
    Conflict,
}

/// <summary>An expected failure of a service call, shaped so adapters can turn it into RFC 7807 problem details.</summary>
/// <param name="Code">A stable machine-readable code, e.g. <c>VERSION_CONFLICT</c>.</param>
/// <param name="Errors">Field errors for validation failures (field name in snake_case → messages).</param>
public sealed record ServiceError(
    ServiceErrorKind Kind,
    string Code,
    string Detail,
    IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>Either a value or a <see cref="ServiceError"/>.</summary>
public readonly record struct ServiceResult<T>(T? Value, ServiceError? Error)
    where T : class
{
    public bool Succeeded => Error is null;

    public static implicit operator ServiceResult<T>(T value) => new(value, null);

    public static implicit operator ServiceResult<T>(ServiceError error) => new(null, error);
}

internal static class Errors
{
    public static ServiceError Validation(string field, string message) =>
        new(ServiceErrorKind.Validation, "VALIDATION_FAILED", message, new Dictionary<string, string[]> { [field] = [message] });

    public static ServiceError Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(ServiceErrorKind.Validation, "VALIDATION_FAILED", "One or more fields are invalid.", errors);

    public static ServiceError NotFound(string what) =>
        new(ServiceErrorKind.NotFound, "NOT_FOUND", $"{what} was not found in this restaurant.");

    public static ServiceError Forbidden(string detail) =>
        new(ServiceErrorKind.Forbidden, "FORBIDDEN", detail);

    public static ServiceError TenantViolation() =>
        new(ServiceErrorKind.Forbidden, "TENANT_VIOLATION", "The request names a restaurant other than the token's.");

    public static ServiceError VersionConflict(int expected, int? current) =>
        new(ServiceErrorKind.Conflict, "VERSION_CONFLICT",
            current is int c
                ? $"Expected version {expected}, but the current version is {c}. Reload and retry."
                : $"Expected version {expected}, but the document changed. Reload and retry.");

    public static ServiceError IllegalTransition(string from, string to) =>
        new(ServiceErrorKind.Conflict, "ILLEGAL_TRANSITION", $"An order cannot go from '{from}' to '{to}'.");

    public static ServiceError OrderClosed(string detail) =>
        new(ServiceErrorKind.Conflict, "ORDER_CLOSED", detail);

    public static ServiceError Duplicate(string what) =>
        new(ServiceErrorKind.Conflict, "DUPLICATE", $"{what} with this id exists already.");
}
