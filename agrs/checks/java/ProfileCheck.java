// Checks one RDF/XML ontology document against the OWL 2 DL profile with the OWL API's own checker.
//
// Usage: java -cp <owlapi classpath>:<dir of this class> ProfileCheck <file.owl>
//
// Output (UTF-8, stdout), one line per finding, fields separated by tabs, with tabs and line breaks
// inside a field replaced by spaces so that a line is always one record:
//   VIOLATION <tab> violation class simple name <tab> IRI of the entity involved, or empty
//             <tab> the axiom involved, or empty <tab> the violation's toString()
//   MISSING-IMPORT <tab> imported IRI <tab> reason
// The last line is "DONE <tab> number of violations", so that a caller can tell a complete report
// from a truncated one.
//
// Exit code: 0 when the ontology was loaded and checked (in profile or not), 2 on bad usage,
// 3 when the document cannot be loaded (the reason goes to stderr).

import java.io.File;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.UnparsableOntologyException;
import org.semanticweb.owlapi.model.HasIRI;
import org.semanticweb.owlapi.model.HasProperty;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.profiles.Profiles;

public final class ProfileCheck {

    private ProfileCheck() {
    }

    public static void main(String[] args) {
        // The platform encoding may be ASCII in a bare container: IRIs and labels are not.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        if (args.length != 1) {
            System.err.println("usage: ProfileCheck <ontology.owl>");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // The document is meant to be self-contained: an owl:imports must never reach the network.
        // Mapping every IRI to a file that does not exist makes an import fail locally, and the
        // SILENT strategy turns that failure into a MISSING-IMPORT line instead of a crash.
        manager.getIRIMappers().clear();
        manager.getIRIMappers().add(iri -> IRI.create(new File("/nonexistent/agrs-no-network").toURI()));
        manager.addMissingImportListener(event -> out.println(
                record("MISSING-IMPORT", event.getImportedOntologyURI().toString(),
                        String.valueOf(event.getCreationException()))));
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology ontology;
        try {
            // Naming the format skips the OWL API's trial of every parser it knows, which is
            // slower and, on failure, buries the RDF/XML parser's message among the others.
            FileDocumentSource source = new FileDocumentSource(new File(args[0]), new RDFXMLDocumentFormat());
            ontology = manager.loadOntologyFromOntologyDocument(source, config);
        } catch (Exception e) {
            System.err.println("cannot load " + args[0] + ": " + loadFailure(e));
            System.exit(3);
            return;
        }
        OWLProfileReport report = Profiles.OWL2_DL.checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            out.println(record("VIOLATION", violation.getClass().getSimpleName(), termOf(violation),
                    axiomOf(violation), violation.toString()));
        }
        out.println(record("DONE", Integer.toString(report.getViolations().size())));
        out.flush();
        System.exit(0);
    }

    /**
     * The reason a load failed, in one line. The OWL API wraps a parse error in a report of every
     * parser tried, with stack traces; the innermost cause (a SAXParseException, with its line and
     * column) is what a reader needs.
     */
    private static String loadFailure(Exception e) {
        Throwable reason = e;
        if (e instanceof UnparsableOntologyException) {
            for (Throwable parserError : ((UnparsableOntologyException) e).getExceptions().values()) {
                reason = parserError;
            }
        }
        while (reason.getCause() != null && reason.getCause() != reason) {
            reason = reason.getCause();
        }
        return oneLine(reason.toString());
    }

    /**
     * The IRI of the entity a violation is about: its expression when named, or the named property
     * of a restriction (a non-simple property in a cardinality restriction is reported on the
     * restriction, but the property is what has to change).
     */
    private static String termOf(OWLProfileViolation violation) {
        Object expression = violation.getExpression();
        if (expression instanceof HasProperty) {
            expression = ((HasProperty<?>) expression).getProperty();
        }
        if (expression instanceof HasIRI) {
            return ((HasIRI) expression).getIRI().toString();
        }
        if (expression instanceof IRI) {
            return expression.toString();
        }
        return "";
    }

    private static String axiomOf(OWLProfileViolation violation) {
        OWLAxiom axiom = violation.getAxiom();
        return axiom == null ? "" : axiom.toString();
    }

    private static String record(String... fields) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            line.append(oneLine(fields[i]));
        }
        return line.toString();
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("[\\t\\r\\n]+", " ").trim();
    }
}
