namespace RestaurantOs.Emulator.Protocol;

/// <summary><c>error.name</c> values of a failed ack (the set is open-ended on the wire).</summary>
internal static class AckErrors
{
    public const string Forbidden = "Forbidden";
    public const string BadRequest = "BadRequest";
    public const string InternalServerError = "InternalServerError";
    public const string Duplicate = "Duplicate";
}
