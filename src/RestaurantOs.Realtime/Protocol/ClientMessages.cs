namespace RestaurantOs.Realtime.Protocol;

/// <summary>A validated client-to-server message. Produced only by <c>ClientMessageParser</c>.</summary>
public abstract record ClientMessage(string Type);

public sealed record AuthMessage(string Token) : ClientMessage("auth");

/// <param name="Events">Known broadcast event types, deduplicated.</param>
/// <param name="Filters">Validated filters (for now only <c>table_number</c>); empty when none.</param>
public sealed record SubscribeMessage(IReadOnlyList<string> Events, IReadOnlyDictionary<string, string> Filters) : ClientMessage("subscribe");

public sealed record UnsubscribeMessage(IReadOnlyList<string> Events) : ClientMessage("unsubscribe");

public sealed record PingMessage() : ClientMessage("ping");

/// <param name="Since">The last seq the client applied (0 for none).</param>
public sealed record ResumeMessage(long Since) : ClientMessage("resume");

/// <summary>Why a frame was rejected: one of <see cref="ErrorCodes"/> and a human-readable message.</summary>
public sealed record ProtocolError(string Code, string Message);
