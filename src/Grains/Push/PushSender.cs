using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Push;

/// <summary>What one attempt to hand a notification to the push service came to.</summary>
public enum PushAttemptResult
{
    /// <summary>2xx: the push service has it.</summary>
    Delivered,

    /// <summary>A timeout, a network failure, 5xx, 408 or 429: worth trying again later.</summary>
    Retry,

    /// <summary>Any other answer (a 4xx): trying again would get the same, so it is given up.</summary>
    Rejected,
}

/// <summary>The outcome of one attempt, with the push service's <c>Retry-After</c> when it sent one.</summary>
public readonly record struct PushAttempt(PushAttemptResult Result, string Detail, TimeSpan? RetryAfter = null);

/// <summary>
/// POSTs one signed notification to <c>Push:Url</c>. Each attempt is signed with its own timestamp; the body
/// and the idempotency key are the same on every attempt, so the push service can drop repeats.
/// </summary>
public sealed class PushSender(IHttpClientFactory clients, IOptions<PushOptions> options, TimeProvider time)
{
    public const string HttpClientName = "dmvoice-push";

    public async Task<PushAttempt> SendAsync(string idempotencyKey, string body, int attempt, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(PushSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(PushSignature.SignatureHeader, PushSignature.Sign(settings.Secret!, timestamp, bytes));
        request.Headers.TryAddWithoutValidation(PushSignature.IdempotencyKeyHeader, idempotencyKey);
        request.Headers.TryAddWithoutValidation(PushSignature.AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new PushAttempt(PushAttemptResult.Delivered, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var retryable = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            return new PushAttempt(
                retryable ? PushAttemptResult.Retry : PushAttemptResult.Rejected,
                $"HTTP {status}",
                retryable ? RetryAfterOf(response) : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PushAttempt(PushAttemptResult.Retry, $"no answer within {settings.Timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException ex)
        {
            return new PushAttempt(PushAttemptResult.Retry, ex.Message);
        }
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow(),
        _ => null,
    };
}
