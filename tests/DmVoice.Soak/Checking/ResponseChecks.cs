namespace DmVoice.Soak.Checking;

/// <summary>A passing fault is never a 500, and every 503 tells the client when to come back.</summary>
public static class ResponseChecks
{
    public const string No500 = "no_500";
    public const string RetryAfter = "retry_after_on_503";

    public static void Run(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        foreach (var operation in evidence.Operations)
        {
            counts.Count("answers");
            if (operation.Status >= 500 && operation.Status != 503 || operation.Code == "internal_error")
            {
                violations.Add(new Violation(No500, $"{operation.Operation} by {operation.UserId} at {operation.At:HH:mm:ss.fff} answered {operation.Status} {operation.Code}{(operation.Detail is null ? string.Empty : $" ({operation.Detail})")}"));
            }

            if (operation.Status == 503 && !operation.HasRetryAfter)
            {
                violations.Add(new Violation(RetryAfter, $"{operation.Operation} by {operation.UserId} at {operation.At:HH:mm:ss.fff} answered 503 {operation.Code} without Retry-After{(operation.Detail is null ? string.Empty : $" ({operation.Detail})")}"));
            }
        }
    }
}
