// Run by tools/polar_real/build.py (era "1x") inside a copy of polar-bookshelf's
// web/js as of 2019-08-31 (Polar 1.x, its model code still in this repository):
// makes a document with Polar's own code, the way its UI called it, and prints
// it as JSON. 1.x of that time had no revised highlights and no MARKDOWN cards
// from the UI; area highlights (screenshot capture through Electron) are not run.
import {DocMetas} from './metadata/DocMetas';
import {TextHighlightRecords} from './metadata/TextHighlightRecords';
import {AnnotationType} from './metadata/AnnotationType';
import {FlashcardType} from './metadata/FlashcardType';
import {Hashcodes} from './Hashcodes';
import {FlashcardActions} from './annotation_sidebar/child_annotations/flashcards/FlashcardActions';
import {CommentActions} from './annotation_sidebar/child_annotations/comments/CommentActions';
import {startClock} from 'polar-real-clock';

startClock('2019-08-20T18:00:00.000Z');  // (shims/polar-real-clock.js)

const settle = () => new Promise(resolve => setTimeout(resolve, 5));

function rect(top: number) {
    return {left: 100, top, right: 400, bottom: top + 18, width: 300, height: 18};
}

function textHighlight(docMeta: any, page: number, text: string, top: number, color: any = 'yellow') {
    // TextHighlightController.onTextHighlightCreatedModern
    const record = TextHighlightRecords.create([rect(top)] as any, [{text, rect: rect(top)}] as any, {TEXT: text}, color);
    const pageMeta = DocMetas.getPageMeta(docMeta, page);
    pageMeta.textHighlights[record.id] = record.value as any;
    return {id: record.id, annotationType: AnnotationType.TEXT_HIGHLIGHT, pageMeta};
}

async function card(annotation: any, fields: any) {
    // the sidebar's FlashcardActions.create (runs the write in a 1 ms timeout)
    const type = fields.text !== undefined ? FlashcardType.CLOZE : FlashcardType.BASIC_FRONT_BACK;
    const before = new Set(Object.keys(annotation.pageMeta.flashcards));
    FlashcardActions.create(annotation, type, fields);
    await settle();
    return Object.keys(annotation.pageMeta.flashcards).find(k => !before.has(k))!;
}

async function main() {
    const fingerprint = Hashcodes.createRandomID();
    const docMeta: any = DocMetas.create(fingerprint, 6, `${Hashcodes.createRandomID()}-history.pdf`);
    docMeta.docInfo.title = 'A Short History (Polar 1.x)';
    docMeta.docInfo.tags = {'deck:history': {id: 'deck:history', label: 'deck:history'}};
    const ids: any = {fingerprint};
    const h1 = textHighlight(docMeta, 1, 'Rome was not built\nin a day.', 200);
    ids.basic = await card(h1, {front: 'How long did Rome take?', back: '<p>More than a <i>day</i></p>'});
    ids.cloze = await card(h1, {text: '{{c1::Rome}} was not built in a day.'});
    CommentActions.create(docMeta, h1 as any, '<p>A proverb.</p>');
    ids.comment = Object.keys(h1.pageMeta.comments)[0];
    const h0 = textHighlight(docMeta, 1, 'Chapter one.', 20, 'blue');
    ids.first = await card(h0, {front: 'What is chapter one?', back: 'The start'});
    const h3 = textHighlight(docMeta, 3, 'Москва — столица России.', 90);
    ids.russian = await card(h3, {front: 'Столица России?', back: 'Москва'});
    const h6 = textHighlight(docMeta, 6, 'The end.', 400);
    ids.last = await card(h6, {text: 'The {{c1::end}}.'});
    ids.h1 = h1.id; ids.h0 = h0.id;
    const v1 = {full: JSON.parse(JSON.stringify(docMeta)), state: DocMetas.serialize(docMeta, '')};

    // the sidebar's edit: FlashcardActions.update (a new card, the old one deleted)
    const p1 = DocMetas.getPageMeta(docMeta, 1);
    const before = new Set(Object.keys(p1.flashcards));
    FlashcardActions.update(docMeta, h1 as any, FlashcardType.BASIC_FRONT_BACK,
        {front: 'How long did Rome take?', back: '<p>Centuries</p>'} as any, p1.flashcards[ids.basic]);
    ids.basicEdited = Object.keys(p1.flashcards).find(k => !before.has(k));
    // the sidebar's delete of a card: removed from its page
    delete p1.flashcards[ids.first];
    const v2 = {full: JSON.parse(JSON.stringify(docMeta)), state: DocMetas.serialize(docMeta, '')};
    process.stdout.write(JSON.stringify({ids, images: {}, v1, v2}));
}

main().catch(err => { console.error(err); process.exit(1); });
