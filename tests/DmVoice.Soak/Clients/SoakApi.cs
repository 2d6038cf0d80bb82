using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Running;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Soak.Clients;

/// <summary>The answer to one request: its status (0 when none came), its body and its error code.</summary>
public sealed record ApiAnswer(int Status, JsonElement Body, string? Code, TimeSpan? RetryAfter)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>No clear answer: the change may or may not have been made (API.md, "Faults and retrying").</summary>
    public bool Unclear => Status is 0 or 503;
}

/// <summary>One user's REST client (through the load balancer); every request and its answer goes into the journal.</summary>
public sealed class SoakApi : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly Journal _journal;

    private SoakApi(Uri address, string userId, string token, Journal journal)
    {
        UserId = userId;
        Token = token;
        _journal = journal;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(45) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string UserId { get; }

    public string Token { get; }

    /// <summary>Gets a dev token for the user, trying again while the cluster is not ready.</summary>
    public static async Task<SoakApi> SignInAsync(Uri address, string userId, Journal journal, CancellationToken cancellationToken)
    {
        using var anonymous = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await anonymous.PostAsJsonAsync("/dev/token", new { userId, displayName = userId }, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                    return new SoakApi(address, userId, body.GetProperty("token").GetString()!, journal);
                }
            }
            catch (HttpRequestException) when (attempt < 20)
            {
                // The balancer may not have found a ready gateway yet.
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    public Task<ApiAnswer> GetAsync(string operation, string path) => SendAsync(operation, HttpMethod.Get, path, null);

    public Task<ApiAnswer> PostAsync(string operation, string path, object? body = null) => SendAsync(operation, HttpMethod.Post, path, body ?? new { });

    public Task<ApiAnswer> PutAsync(string operation, string path, object? body = null) => SendAsync(operation, HttpMethod.Put, path, body);

    public Task<ApiAnswer> DeleteAsync(string operation, string path) => SendAsync(operation, HttpMethod.Delete, path, null);

    /// <summary>A read that is tried again, as an app would, until it gets an answer that is not a passing fault.</summary>
    public async Task<ApiAnswer> ReadPatientlyAsync(string operation, string path, CancellationToken cancellationToken, int attempts = 15)
    {
        var answer = await GetAsync(operation, path);
        for (var attempt = 1; attempt < attempts && answer.Unclear && !cancellationToken.IsCancellationRequested; attempt++)
        {
            await Task.Delay(answer.RetryAfter ?? TimeSpan.FromSeconds(1), CancellationToken.None);
            answer = await GetAsync(operation, path);
        }

        return answer;
    }

    /// <summary>
    /// Records a hub call's outcome the way a REST answer is recorded: a <see cref="HubException"/> is the
    /// server's answer, whose message starts with the stable code (and says when to retry); any other
    /// failure means the connection went away before an answer came.
    /// </summary>
    public void RecordHubCall(string operation, Exception? error, TimeSpan elapsed)
    {
        // A server's answer starts with its stable code ("temporarily_unavailable: …"); a connection that
        // closed under the call ("The server closed the connection with the following error: …") is no answer.
        var answered = error is HubException hub && hub.Message.IndexOf(':') is > 0 and var colon && hub.Message[..colon].All(c => char.IsLower(c) || c == '_');
        var (status, code) = error switch
        {
            null => (200, (string?)null),
            _ when !answered => (0, "no_answer"),
            _ when error.Message.StartsWith("internal_error", StringComparison.Ordinal) => (500, "internal_error"),
            _ when error.Message.StartsWith("temporarily_unavailable", StringComparison.Ordinal) => (503, "temporarily_unavailable"),
            _ => (400, error.Message.Split(':')[0]),
        };
        var hasRetryAfter = status == 503 && error!.Message.Contains("retry after", StringComparison.OrdinalIgnoreCase);
        _journal.Add(new OperationRecord(DateTimeOffset.UtcNow, UserId, operation, status, code, hasRetryAfter, elapsed.TotalMilliseconds, error?.Message));
    }

    /// <summary>Records a connection the server closed for good (no answer to anything: status 0), with the server's reason.</summary>
    public void RecordClose(string reason) =>
        _journal.Add(new OperationRecord(DateTimeOffset.UtcNow, UserId, "hub closed for good", 0, "closed", false, 0, reason));

    public void Dispose() => _http.Dispose();

    private async Task<ApiAnswer> SendAsync(string operation, HttpMethod method, string path, object? body)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        ApiAnswer answer;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, options: Json);
            }

            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var parsed = text.Length > 0 && text[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default;
            var code = parsed.ValueKind == JsonValueKind.Object && !response.IsSuccessStatusCode ? Wire.Text(parsed, "code") : null;
            var retryAfter = response.Headers.RetryAfter?.Delta;
            answer = new ApiAnswer((int)response.StatusCode, parsed, code, retryAfter);
            _journal.Add(new OperationRecord(started, UserId, operation, answer.Status, code, response.Headers.RetryAfter is not null, clock.Elapsed.TotalMilliseconds));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            // The connection broke (a gateway killed mid-request): no answer, which is not an error answer.
            answer = new ApiAnswer(0, default, "no_answer", null);
            _journal.Add(new OperationRecord(started, UserId, operation, 0, "no_answer", false, clock.Elapsed.TotalMilliseconds));
        }

        return answer;
    }

    public static bool IsNotFound(ApiAnswer answer) => answer.Status == (int)HttpStatusCode.NotFound;
}
