// The domain model's JSON converters (names, customer ids, property values) are internal, and the
// System.Text.Json source generator of another assembly can only use converters it can access.
// Packages that source-generate JSON for their own records holding these types are listed here.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Marketing.Sdk.Lifecycle")]
