using System.Net;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>
/// A Web PubSub REST call failed with a non-retryable status, or retries were exhausted.
/// Carries the HTTP status, the <c>x-ms-error-code</c> header (or the <c>ErrorDetail.code</c>) and the
/// <c>ErrorDetail.message</c> from the body.
/// </summary>
public sealed class WebPubSubServiceException : Exception
{
    public WebPubSubServiceException()
    {
    }

    public WebPubSubServiceException(string message)
        : base(message)
    {
    }

    public WebPubSubServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WebPubSubServiceException(string operation, HttpStatusCode? statusCode, string? errorCode, string? serviceMessage, Exception? innerException = null)
        : base(FormatMessage(operation, statusCode, errorCode, serviceMessage), innerException)
    {
        Operation = operation;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        ServiceMessage = serviceMessage;
    }

    /// <summary>The client operation, e.g. <c>SendToGroup</c>.</summary>
    public string? Operation { get; }

    /// <summary>The last HTTP status, or <see langword="null"/> when no response arrived (network error, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The service error code (<c>x-ms-error-code</c>), e.g. <c>Error.Connection.NotExisted</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The <c>message</c> of the service's <c>ErrorDetail</c> body, if any.</summary>
    public string? ServiceMessage { get; }

    private static string FormatMessage(string operation, HttpStatusCode? statusCode, string? errorCode, string? serviceMessage)
    {
        var status = statusCode is { } code ? $"{(int)code} {code}" : "no response";
        var codePart = errorCode is null ? string.Empty : $" [{errorCode}]";
        var messagePart = string.IsNullOrEmpty(serviceMessage) ? string.Empty : $": {serviceMessage}";
        return $"Web PubSub {operation} failed with {status}{codePart}{messagePart}";
    }
}
