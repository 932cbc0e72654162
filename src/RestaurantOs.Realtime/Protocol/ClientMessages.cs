namespace RestaurantOs.Realtime.Protocol;

/// <summary>A validated client-to-server message. Produced only by <c>ClientMessageParser</c>.</summary>
public abstract record ClientMessage(string Type)
{
    /// <summary>
    /// The <c>restaurant_id</c> the client put in the message, when it sent one (a valid UUID; anything else is
    /// rejected by the parser). The tenant always comes from the token: a value that differs from the token's
    /// restaurant must close the connection with 1008 <c>TENANT_VIOLATION</c> (the seed's server honoured it).
    /// </summary>
    public Guid? RestaurantId { get; init; }
}

/// <param name="Station">The station this screen is (optional; a token that names one wins, and may not be contradicted).</param>
/// <param name="Device">The device it runs on (optional).</param>
public sealed record AuthMessage(string Token, string? Station = null, string? Device = null) : ClientMessage("auth");

/// <param name="Events">Known broadcast event types, deduplicated.</param>
/// <param name="Filters">Validated filters (for now only <c>table_number</c>); empty when none.</param>
public sealed record SubscribeMessage(IReadOnlyList<string> Events, IReadOnlyDictionary<string, string> Filters) : ClientMessage("subscribe");

public sealed record UnsubscribeMessage(IReadOnlyList<string> Events) : ClientMessage("unsubscribe");

/// <param name="AppliedSeq">
/// The last seq the screen says it has applied (optional; a delivery receipt the client reports with its heartbeat).
/// </param>
public sealed record PingMessage(long? AppliedSeq = null) : ClientMessage("ping");

/// <param name="Since">The last seq the client applied (0 for none).</param>
public sealed record ResumeMessage(long Since) : ClientMessage("resume");

/// <summary>Why a frame was rejected: one of <see cref="ErrorCodes"/> and a human-readable message.</summary>
public sealed record ProtocolError(string Code, string Message);
