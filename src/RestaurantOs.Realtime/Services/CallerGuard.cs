using RestaurantOs.Realtime.Auth;

namespace RestaurantOs.Realtime.Services;

/// <summary>The two checks every HTTP write starts with: the caller's role (<see cref="HttpAccess"/>) and its tenant.</summary>
internal static class CallerGuard
{
    /// <summary>
    /// Null when <paramref name="caller"/> may do <paramref name="operation"/> in the restaurant the body names
    /// (<paramref name="namedRestaurant"/> is optional and, when given, must be the token's); otherwise the error.
    /// </summary>
    /// <param name="what">What the operation does, for the message ("create orders").</param>
    public static ServiceError? Check(ConnectionIdentity caller, HttpOperation operation, Guid? namedRestaurant, string what)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!HttpAccess.Allows(caller.Role, operation))
        {
            return Errors.Forbidden($"The role '{RoleNames.ToClaim(caller.Role)}' may not {what}.");
        }

        return namedRestaurant is Guid named && named != caller.RestaurantId ? Errors.TenantViolation() : null;
    }
}
