using System.Text;
using System.Text.Json;

namespace RestaurantOs.Emulator.Protocol;

internal enum JsonClientMessageKind
{
    JoinGroup,
    LeaveGroup,
    SendToGroup,
    Event,
    Ping,
    /// <summary><c>json.reliable.webpubsub.azure.v1</c>: the client has every message up to <see cref="JsonClientMessage.SequenceId"/>.</summary>
    SequenceAck,
    /// <summary>A well-formed frame of a type this emulator does not act on (ignored for forward compatibility).</summary>
    Unknown,
    /// <summary>A JSON object with a known type but wrong fields; answered with an ack <c>BadRequest</c> when it has an ackId.</summary>
    Invalid,
}

/// <summary>One decoded upstream frame of <c>json.webpubsub.azure.v1</c>.</summary>
internal sealed record JsonClientMessage(
    JsonClientMessageKind Kind,
    ulong? AckId = null,
    string? Group = null,
    string? EventName = null,
    DataType DataType = DataType.Json,
    byte[]? Data = null,
    bool NoEcho = false,
    string? Error = null,
    ulong? SequenceId = null)
{
    /// <summary>Decodes a text frame. Returns null when the frame is not a JSON object (the connection is then closed).</summary>
    public static JsonClientMessage? Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            ulong? ackId = null;
            if (root.TryGetProperty("ackId", out var ackElement) && ackElement.ValueKind != JsonValueKind.Null)
            {
                if (ackElement.ValueKind != JsonValueKind.Number || !ackElement.TryGetUInt64(out var parsed))
                {
                    return Invalid(null, "ackId must be an unsigned integer.");
                }

                ackId = parsed;
            }

            var type = GetString(root, "type");
            switch (type)
            {
                case "joinGroup":
                case "leaveGroup":
                    {
                        var group = GetString(root, "group");
                        return string.IsNullOrEmpty(group)
                            ? Invalid(ackId, "group is required.")
                            : new JsonClientMessage(type == "joinGroup" ? JsonClientMessageKind.JoinGroup : JsonClientMessageKind.LeaveGroup, ackId, group);
                    }

                case "sendToGroup":
                    {
                        var group = GetString(root, "group");
                        if (string.IsNullOrEmpty(group))
                        {
                            return Invalid(ackId, "group is required.");
                        }

                        var noEcho = root.TryGetProperty("noEcho", out var echo) && echo.ValueKind == JsonValueKind.True;
                        return ReadData(root, out var dataType, out var data, out var error)
                            ? new JsonClientMessage(JsonClientMessageKind.SendToGroup, ackId, group, null, dataType, data, noEcho)
                            : Invalid(ackId, error);
                    }

                case "event":
                    {
                        var name = GetString(root, "event");
                        if (string.IsNullOrEmpty(name))
                        {
                            return Invalid(ackId, "event is required.");
                        }

                        return ReadData(root, out var dataType, out var data, out var error)
                            ? new JsonClientMessage(JsonClientMessageKind.Event, ackId, null, name, dataType, data)
                            : Invalid(ackId, error);
                    }

                case "ping":
                    return new JsonClientMessage(JsonClientMessageKind.Ping);
                case "sequenceAck":
                    // No ackId is ever answered for a sequenceAck, so a bad one has no reply: it is ignored.
                    return root.TryGetProperty("sequenceId", out var sequence) && sequence.ValueKind == JsonValueKind.Number && sequence.TryGetUInt64(out var sequenceId)
                        ? new JsonClientMessage(JsonClientMessageKind.SequenceAck, SequenceId: sequenceId)
                        : new JsonClientMessage(JsonClientMessageKind.Unknown);
                default:
                    return new JsonClientMessage(JsonClientMessageKind.Unknown, ackId);
            }
        }
    }

    private static JsonClientMessage Invalid(ulong? ackId, string error) => new(JsonClientMessageKind.Invalid, ackId, Error: error);

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool ReadData(JsonElement root, out DataType dataType, out byte[] data, out string error)
    {
        data = [];
        error = "";
        var typeName = root.TryGetProperty("dataType", out var typeElement) && typeElement.ValueKind == JsonValueKind.String
            ? typeElement.GetString()
            : null;
        if (!DataTypes.TryParseName(typeName, out dataType))
        {
            error = $"dataType '{typeName}' is not one of json, text, binary.";
            return false;
        }

        if (!root.TryGetProperty("data", out var dataElement))
        {
            error = "data is required.";
            return false;
        }

        switch (dataType)
        {
            case DataType.Json:
                data = Encoding.UTF8.GetBytes(dataElement.GetRawText());
                return true;
            case DataType.Text when dataElement.ValueKind == JsonValueKind.String:
                data = Encoding.UTF8.GetBytes(dataElement.GetString()!);
                return true;
            case DataType.Binary when dataElement.ValueKind == JsonValueKind.String:
                try
                {
                    data = Convert.FromBase64String(dataElement.GetString()!);
                    return true;
                }
                catch (FormatException)
                {
                    error = "data of dataType binary must be base64.";
                    return false;
                }

            default:
                error = $"data of dataType {DataTypes.Name(dataType)} must be a string.";
                return false;
        }
    }
}
