using Marketing.Sdk.Diagnostics;

namespace Marketing.Sdk.SharedSource.Tests;

public sealed class RedactedExceptionTests
{
    private const string Email = "wilhelmina@example.org";

    private static Exception Thrown()
    {
        try
        {
            try
            {
                throw new FormatException($"bad address {Email}");
            }
            catch (FormatException inner)
            {
                throw new InvalidOperationException($"recipient {Email} rejected", inner);
            }
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    [Fact]
    public void The_redacted_form_keeps_types_codes_and_stack_but_no_message()
    {
        var original = Thrown();
        var redacted = RedactedException.From(original);
        Assert.Equal(typeof(InvalidOperationException).FullName, redacted.OriginalType);
        Assert.Equal(original.HResult, redacted.HResult);
        Assert.Equal(original.StackTrace, redacted.StackTrace);
        Assert.Equal(typeof(FormatException).FullName, Assert.IsType<RedactedException>(redacted.InnerException).OriginalType);
        Assert.DoesNotContain(Email, redacted.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Email, redacted.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(FormatException), redacted.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_code_is_the_type_name_and_hresult()
    {
        Assert.Equal("InvalidOperationException/0x80131509", RedactedException.Code(new InvalidOperationException(Email)));
        var aggregate = RedactedException.From(new AggregateException(new TimeoutException(Email), new FormatException()));
        Assert.Equal(typeof(TimeoutException).FullName, Assert.IsType<RedactedException>(aggregate.InnerException).OriginalType);
    }
}
